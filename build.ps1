#!/usr/bin/env pwsh
# MantisNative build script. Run: dotnet tool restore; dotnet pwsh build.ps1 <target>
#   build           Release build of the whole solution
#   test            build, fetch NVRTC 12.4 for the kernel compile check (best effort), build the emulated GPU device,
#                   run all tests (TRX in TestResults/); on AVX-512 CPUs the op tests run a second time with the JIT
#                   limited to AVX2
#   emu             build the emulated GPU device (kernels/emu -> build/emu/libmantis_emu.so; needs make and g++)
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

# The emulated GPU device (kernels/emu): make + the system C++ compiler. Best effort for `test` (its tests skip
# without it, and fail under CI, which sets MANTIS_REQUIRE_EMULATOR=1); `emu` fails when it cannot be built.
function Build-Emulator([bool]$required) {
    $make = Get-Command make -ErrorAction SilentlyContinue
    $cxx = if ($env:CXX) { Get-Command $env:CXX -ErrorAction SilentlyContinue } else { Get-Command g++ -ErrorAction SilentlyContinue }
    if (-not $make -or -not $cxx) {
        $msg = "the emulated GPU device needs make and g++ (apt-get install g++ make)"
        if ($required) { throw $msg }
        Write-Warning "$msg; its tests will be skipped"
        return
    }
    & make -s -j2 -C (Join-Path $PSScriptRoot "kernels/emu") "OUT=$(Join-Path $PSScriptRoot 'build/emu')"
    if ($LASTEXITCODE -ne 0) {
        if ($required) { throw "building the emulated GPU device failed (make exited $LASTEXITCODE)" }
        Write-Warning "building the emulated GPU device failed; its tests will fail or be skipped"
    }
}

switch ($Target) {
    "build" { Invoke-Checked dotnet @("build", "MantisNative.sln", "-c", "Release") }
    "test" {
        $nvrtc = Get-Nvrtc
        if ($nvrtc) { $env:MANTIS_NVRTC_PATH = $nvrtc; Write-Host "NVRTC: $nvrtc" }
        Build-Emulator ($env:MANTIS_REQUIRE_EMULATOR -eq "1")
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
    "emu" { Build-Emulator $true; Write-Host "emulated device: $(Join-Path $PSScriptRoot 'build/emu/libmantis_emu.so') (MANTIS_DEVICE=emulated selects it)" }
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
        # the emulated device beside the binary (when built): `MANTIS_DEVICE=emulated bash run.sh` rehearses the GPU run here
        if (Test-Path build/emu/libmantis_emu.so) {
            Copy-Item build/emu/libmantis_emu.so $out
            Copy-Item -Recurse build/emu/include (Join-Path $out "include")
        }
        # the GPU machine's copy may drop them again: run.sh restores them, this keeps a local run working
        if (-not $IsWindows) { & chmod +x (Join-Path $out "mantis") (Join-Path $out "run.sh") }
        $size = (Get-ChildItem -Recurse $out | Measure-Object -Sum Length).Sum / 1MB
        Write-Host ("published {0} ({1:N1} MB)" -f $out, $size)
        if ($size -ge 40) { throw ("publish/device is {0:N1} MB: the GPU machine takes at most 40 MB" -f $size) }
        Invoke-Checked (Join-Path $out "mantis") @("info")
    }
    "bench" {
        Invoke-Checked dotnet (@("run", "--project", "bench/MantisNative.Bench", "-c", "Release", "--") + $Rest)
    }
    default { throw "unknown target '$Target' (build | test | emu | kernels | publish-device | bench)" }
}
