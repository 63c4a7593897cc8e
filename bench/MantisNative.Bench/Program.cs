using BenchmarkDotNet.Running;
using MantisNative.Bench;

// `gemm-quick [--threads T] [--reps N] [shape filter...]`: Stopwatch side-by-side table.
// `gemm-tune [--threads T] [filter...]`: block-size sweep; `gemm-kernel [kc]`: micro-kernel alone.
// Anything else goes to BenchmarkDotNet (e.g. `--filter *GemmSquare*`).
if (args.Length > 0 && args[0] == "gemm-quick") return GemmQuick.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm-tune") return GemmTune.Run(args[1..]);
// `train-step [--steps N] [--export FILE]`: tiny-model training step timing (see TrainStep.cs, bench/pytorch/).
if (args.Length > 0 && args[0] == "train-step")
{
    // bad data or settings (e.g. no data/synthetic yet) are a message naming the file, not a stack trace
    try { return TrainStep.Run(args[1..]); }
    catch (MantisNative.MantisException e) { Console.Error.WriteLine($"train-step: {e.Message} (make it with `mantis make-data --output data/synthetic`, or pass --data DIR)"); return 2; }
}
if (args.Length > 0 && args[0] == "gemm-kernel") return KernelProbe.Run(args[1..]);
// `gemv-quick [--threads T] [--reps N]`: fp32 vs fused int8 / NF4 GEMV against the copy bandwidth (GemvQuick.cs).
if (args.Length > 0 && args[0] == "gemv-quick") return GemvQuick.Run(args[1..]);
// `copy-bandwidth`: GB/s of a 256 MB memcpy (read + write), the memory-bound reference of decode (bench/measure_8b_memory.sh).
if (args.Length > 0 && args[0] == "copy-bandwidth") { Console.WriteLine($"{GemvQuick.CopyBandwidth():F2}"); return 0; }
// `decode-bench --model DIR --weights bf16|int8|nf4 [--prompt 512] [--decode 32] [--profile]`: prefill and decode
// tokens/s of a text-only prompt beside the bandwidth bound, the llama-bench twin (bench/peers/decode_side_by_side.sh).
if (args.Length > 0 && args[0] == "decode-bench") return DecodeBench.Run(args[1..]);
return BenchRunner.Run(args);
