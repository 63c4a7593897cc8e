#!/usr/bin/env pwsh
# MantisNative build script. Run: dotnet tool restore; dotnet pwsh build.ps1 <target>
#   build           Release build of the whole solution
#   test            build, fetch NVRTC 12.4 for the kernel compile check (best effort), run all tests (TRX in TestResults/);
#                   on AVX-512 CPUs the op tests run a second time with the JIT limited to AVX2
#   kernels         compile every kernel with the NVRTC found (mantis kernels compile)
#   publish-device  self-contained single-file linux-x64 `mantis` + kernels/ in publish/device (for the GPU machine)
#   bench           run the BenchmarkDotNet suites (pass extra args after the target)
param(
    [Parameter(Position = 0)][string]$Target = "build",
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

function Invoke-Checked([string]$exe, [string[]]$arguments) {
    & $exe @arguments
    if ($LASTEXITCODE -ne 0) { throw "$exe $($arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# NVRTC 12.4 unpacked from Debian trixie non-free into a cache folder (no system-wide install).
function Get-Nvrtc {
    if ($env:MANTIS_NVRTC_PATH -and (Test-Path $env:MANTIS_NVRTC_PATH)) { return $env:MANTIS_NVRTC_PATH }
    $script = Join-Path $PSScriptRoot "kernels/fetch-nvrtc.sh"
    if (-not (Test-Path $script)) { return $null }
    try {
        $lib = (& bash $script 2>$null | Select-Object -Last 1)
        if ($LASTEXITCODE -eq 0 -and $lib -and (Test-Path $lib)) { return $lib }
    } catch { }
    Write-Warning "NVRTC 12.4 could not be fetched; the kernel compile test will be skipped."
    return $null
}

switch ($Target) {
    "build" { Invoke-Checked dotnet @("build", "MantisNative.sln", "-c", "Release") }
    "test" {
        $nvrtc = Get-Nvrtc
        if ($nvrtc) { $env:MANTIS_NVRTC_PATH = $nvrtc; Write-Host "NVRTC: $nvrtc" }
        if (Test-Path TestResults) { Remove-Item -Recurse -Force TestResults }
        Invoke-Checked dotnet (@("test", "tests/MantisNative.Tests/MantisNative.Tests.csproj", "-c", "Release",
            "--logger", "trx;LogFileName=results.trx", "--logger", "console;verbosity=normal", "--results-directory", "TestResults") + $Rest)
        # On an AVX-512 machine, run the op tests (norms, attention, element-wise, losses) again with the JIT limited
        # to AVX2 (DOTNET_EnableAVX512=0), so System.Numerics.Tensors' 256-bit paths - what an AVX2-only CPU runs -
        # are tested too. (Our own GEMM micro-kernel families are forced per test fixture in the main run.)
        if ([System.Runtime.Intrinsics.X86.Avx512F]::IsSupported -and -not $Rest) {
            $env:DOTNET_EnableAVX512 = "0"
            try {
                Invoke-Checked dotnet @("test", "tests/MantisNative.Tests/MantisNative.Tests.csproj", "-c", "Release", "--no-build",
                    "--filter", "FullyQualifiedName~MantisNative.Tests.Ops",
                    "--logger", "trx;LogFileName=results-jit-avx2.trx", "--results-directory", "TestResults/jit-avx2")
            } finally { Remove-Item Env:DOTNET_EnableAVX512 }
        }
    }
    "kernels" {
        $nvrtc = Get-Nvrtc
        if ($nvrtc) { $env:MANTIS_NVRTC_PATH = $nvrtc }
        Invoke-Checked dotnet (@("run", "--project", "src/MantisNative.Cli", "-c", "Release", "--", "kernels", "compile") + $Rest)
    }
    "publish-device" {
        $out = Join-Path $PSScriptRoot "publish/device"
        if (Test-Path $out) { Remove-Item -Recurse -Force $out }
        Invoke-Checked dotnet @("publish", "src/MantisNative.Cli/MantisNative.Cli.csproj", "-c", "Release", "-r", "linux-x64",
            "--self-contained", "-p:PublishSingleFile=true", "-p:PublishTrimmed=true", "-p:InvariantGlobalization=true",
            "-p:IncludeNativeLibrariesForSelfExtract=true",
            # Parquet and RecyclableMemoryStream ship with trim warnings (IL2104); they stay warnings, everything else is an error
            "-p:WarningsNotAsErrors=IL2104", "-o", $out)
        Copy-Item -Recurse kernels (Join-Path $out "kernels")
        # gpu-check's fixture models (--fixtures fixtures) and the GPU machine's script and PyTorch peer
        $fixtures = New-Item -ItemType Directory -Force (Join-Path $out "fixtures")
        foreach ($f in @("tiny-siglip-llama", "tiny-clip-llama")) {
            Copy-Item -Recurse (Join-Path "tests/MantisNative.Tests/fixtures" $f) (Join-Path $fixtures $f)
        }
        Copy-Item bench/gpu/run.sh, bench/gpu/llama_peer.py $out
        $size = (Get-ChildItem -Recurse $out | Measure-Object -Sum Length).Sum / 1MB
        Write-Host ("published {0} ({1:N1} MB)" -f $out, $size)
        Invoke-Checked (Join-Path $out "mantis") @("info")
    }
    "bench" {
        Invoke-Checked dotnet (@("run", "--project", "bench/MantisNative.Bench", "-c", "Release", "--") + $Rest)
    }
    default { throw "unknown target '$Target' (build | test | kernels | publish-device | bench)" }
}
