#!/usr/bin/env python3
"""Writes the test models (placeholder: filled in by the models work)."""
import argparse, os
ap = argparse.ArgumentParser(); ap.add_argument("--out", required=True); a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
