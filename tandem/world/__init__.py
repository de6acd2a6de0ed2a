"""Generated worlds: realistic data, fast, for benchmarks and scale tests (issue 10)."""
