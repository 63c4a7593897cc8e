using MantisNative.Autograd;
using AOps = MantisNative.Autograd.Ops;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>The device side of Tensor and the op dispatch, on a fake device (no GPU needed).</summary>
public class DeviceTensorTests
{
    private FakeDeviceBackend _dev = null!;

    [SetUp] public void SetUp() => _dev = new FakeDeviceBackend();
    [TearDown] public void TearDown() => _dev.Dispose();

    private static float Bf16(float v) => FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(v));

    [Test]
    public void ToDeviceConvertsFloatsToBf16AndBackExplicitly()
    {
        var values = new[] { 1f, -2.5f, 3.14159f, 1e-3f, 65504f, 0f };
        using var host = Tensor.FromArray(values, 2, 3);
        using var dev = host.To(_dev.Device);
        Assert.That(dev.Device, Is.EqualTo(Device.Cuda(7)));
        Assert.That(dev.IsOnDevice, Is.True);
        Assert.That(dev.DType, Is.EqualTo(DType.BF16), "GPU activations and weights are BF16");
        Assert.That(dev.Shape, Is.EqualTo(host.Shape));
        using var back = dev.To(Device.Cpu);
        Assert.That(back.IsOnDevice, Is.False);
        Assert.That(back.DType, Is.EqualTo(DType.F32));
        Assert.That(back.ToArray(), Is.EqualTo(values.Select(Bf16).ToArray()));
        Assert.That(dev.ToArray(), Is.EqualTo(values.Select(Bf16).ToArray()), "ToArray is an explicit read to the host");
        using var f32 = host.To(_dev.Device, DType.F32);
        Assert.That(f32.ToArray(), Is.EqualTo(values), "an explicit F32 copy is exact");
        Assert.That(host.To(Device.Cpu), Is.SameAs(host), "already there: the same tensor");
    }

    [Test]
    public void IntegerTensorsKeepTheirDtype()
    {
        using var ids = Tensor.FromBytes(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0 }, DType.I32, new Shape(2));
        using var dev = ids.To(_dev.Device);
        Assert.That(dev.DType, Is.EqualTo(DType.I32));
        Assert.That(dev.ToIntArray(), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void HostAccessToDeviceMemoryIsAClearError()
    {
        using var dev = Tensor.FromArray(new[] { 1f, 2f }, 2).To(_dev.Device, DType.F32);
        dev.Name = "x";
        var e = Assert.Throws<InvalidOperationException>(() => _ = dev.Span)!;
        Assert.That(e.Message, Does.Contain("x is on cuda:7").And.Contain("To(Device.Cpu)"));
        Assert.Throws<InvalidOperationException>(() => _ = dev.Storage);
        using var host = Tensor.Zeros(2);
        Assert.Throws<InvalidOperationException>(() => _ = host.DevicePointer);
    }

    [Test]
    public void MixedDevicesAreRejectedByEveryMultiInputOp()
    {
        using var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        using var b = a.To(_dev.Device);
        var ops = new (string Name, TestDelegate Run)[]
        {
            ("Add", () => AOps.Add(a, b)),
            ("Mul", () => AOps.Mul(b, a)),
            ("MatMul", () => AOps.MatMul(a, b)),
            ("Linear", () => AOps.Linear(a, b)),
            ("Concat", () => AOps.Concat(new[] { a, b }, 0)),
            ("SwiGlu", () => AOps.SwiGlu(a, b)),
            ("RmsNorm", () => AOps.RmsNorm(b, Tensor.Full(new Shape(2), 1f), 1e-5f)),
        };
        foreach (var (name, run) in ops)
        {
            var e = Assert.Throws<MantisException>(run, name)!;
            Assert.That(e.Message, Does.StartWith(name + ": inputs are on different devices"), name);
            Assert.That(e.Message, Does.Contain("cpu").And.Contain("cuda:7").And.Contain("To(Device)"), name);
        }
    }

    [Test]
    public void DeviceOpsNeedACudaBackend()
    {
        using var a = Tensor.FromArray(new[] { 1f, 2f }, 2).To(_dev.Device);
        var e = Assert.Throws<MantisException>(() => AOps.Scale(a, 2f))!;
        Assert.That(e.Message, Does.Contain("cuda:7").And.Contain("not CUDA"));
    }

    [Test]
    public void ShapeOnlyOpsWorkOnAnyDevice()
    {
        using var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3).To(_dev.Device);
        using var r = AOps.Reshape(a, 3, 2);
        Assert.That(r.Device, Is.EqualTo(a.Device));
        Assert.That(r.DevicePointer, Is.EqualTo(a.DevicePointer), "a view shares the memory");
        Assert.That(r.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
    }

    [Test]
    public void ViewsAndClonesManageDeviceMemory()
    {
        int before = _dev.LiveAllocations;
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 4).To(_dev.Device, DType.F32);
        var v = a.View(2, 2);
        var c = a.Clone();
        Assert.That(c.DevicePointer, Is.Not.EqualTo(a.DevicePointer));
        Assert.That(c.ToArray(), Is.EqualTo(a.ToArray()));
        a.Dispose();
        Assert.That(v.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }), "the view keeps the memory alive");
        v.Dispose();
        c.Dispose();
        Assert.That(_dev.LiveAllocations, Is.EqualTo(before));
    }

    [Test]
    public void LeafGradientsOnADeviceAccumulateInF32()
    {
        using var w = Tensor.FromArray(new[] { 0f, 0f, 0f }, 3).To(_dev.Device);
        w.RequiresGrad = true;
        using var g = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3).To(_dev.Device);
        w.AccumulateGrad(g);
        w.AccumulateGrad(g);
        Assert.That(w.Grad!.DType, Is.EqualTo(DType.F32));
        Assert.That(w.Grad.Device, Is.EqualTo(w.Device));
        Assert.That(w.Grad.ToArray(), Is.EqualTo(new[] { 2f, 4f, 6f }));
        using var other = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3);
        Assert.Throws<MantisException>(() => w.AccumulateGrad(other));
    }

    [Test]
    public void MoveToReplacesTheMemoryInPlace()
    {
        var values = new[] { 0.5f, -1.25f };
        using var p = Tensor.FromArray(values, 2);
        p.Name = "weight";
        p.MoveTo(_dev.Device);
        Assert.That(p.IsOnDevice, Is.True);
        Assert.That(p.DType, Is.EqualTo(DType.BF16));
        Assert.That(p.ToArray(), Is.EqualTo(values));
        p.MoveTo(Device.Cpu);
        Assert.That(p.IsOnDevice, Is.False);
        Assert.That(p.DType, Is.EqualTo(DType.F32));
        Assert.That(p.Span.ToArray(), Is.EqualTo(values));
    }

    [Test]
    public void MovingToARealGpuWithoutADriverSaysWhy()
    {
        if (MantisNative.Interop.CudaDriver.IsAvailable) Assert.Ignore("a CUDA driver is present here");
        using var host = Tensor.FromArray(new[] { 1f }, 1);
        var e = Assert.Throws<MantisNative.Interop.CudaException>(() => host.To(Device.Cuda(3)))!;
        Assert.That(e.Message, Does.StartWith("CUDA is not available"));
    }

    [Test]
    public void DeviceNamesParse()
    {
        Assert.That(Device.Parse("cpu"), Is.EqualTo(Device.Cpu));
        Assert.That(Device.Parse("cuda"), Is.EqualTo(Device.Cuda(0)));
        Assert.That(Device.Parse("CUDA:3"), Is.EqualTo(Device.Cuda(3)));
        Assert.That(Device.Cuda(2).ToString(), Is.EqualTo("cuda:2"));
        Assert.Throws<MantisException>(() => Device.Parse("tpu"));
        Assert.Throws<MantisException>(() => Device.Parse("cuda:-1"));
        Assert.That(Device.Cpu.ComputeType, Is.EqualTo(DType.F32));
        Assert.That(Device.Cuda().ComputeType, Is.EqualTo(DType.BF16));
    }
}
