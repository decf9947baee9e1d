set -u
B=/tmp/tandem_bundle; rm -rf $B; mkdir -p $B; tar -C $B -xzf .bundle/tandem-bundle.tar.gz; source $B/env.sh
export TANDEM_COMMIT=$(cat $B/COMMIT)
echo "== conv probe 16 threads (ms, mb16)"; OMP_NUM_THREADS=16 .bundle/conv_probe 16
echo "== conv probe 16 threads mb1"; OMP_NUM_THREADS=16 .bundle/conv_probe 1
python3 bench/profile_cpu_vs_ort.py --tandem $B/bin/tandem --models resnet50,mnasnet1_0,mobilenet_v2,efficientnet_lite0,inception_v3,densenet121 --batch 16 --threads 16 --runs 5 --out $OUT/cpu_profile_b16.txt > $OUT/cpu_profile.log 2>&1
cat $OUT/cpu_profile_b16.txt
