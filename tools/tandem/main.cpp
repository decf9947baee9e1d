#include <cstdio>
int main() { std::puts("tandem: not built yet"); return 1; }
