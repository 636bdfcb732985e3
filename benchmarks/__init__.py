"""The Fashion-MNIST benchmark of docs/benchmark.md: suite, costs, report."""
