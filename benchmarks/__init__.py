"""The Fashion-MNIST benchmark of BENCHMARK.md: suite, costs, report."""
