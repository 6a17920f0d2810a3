print("ecr-bench: benchmarks arrive with issues 5 and 6")
