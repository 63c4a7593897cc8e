using BenchmarkDotNet.Running;
using MantisNative.Bench;

// `gemm-quick [--threads T] [--reps N] [shape filter...]`: Stopwatch side-by-side table.
// Anything else goes to BenchmarkDotNet (e.g. `--filter *Gemm*`).
if (args.Length > 0 && args[0] == "gemm-quick") return GemmQuick.Run(args[1..]);
// `train-step [--steps N] [--export FILE]`: tiny-model training step timing (see TrainStep.cs, bench/pytorch/).
if (args.Length > 0 && args[0] == "train-step") return TrainStep.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm-kernel") return KernelProbe.Run(args[1..]);
return BenchRunner.Run(args);
