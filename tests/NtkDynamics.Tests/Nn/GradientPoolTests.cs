using NtkDynamics.Nn;

namespace NtkDynamics.Tests.Nn;

/// <summary>The backward pass's gradient buffers: one is reused only when no slot holds it any more.</summary>
public class GradientPoolTests
{
    [Fact]
    public void ABufferReturnsOnlyWhenItsLastHolderLetsGo()
    {
        var pool = new GradientPool();
        var a = pool.Rent([2, 3]);
        pool.Hold(a);
        pool.Hold(a); // given on unchanged to a second slot
        pool.Release(a);
        var b = pool.Rent([3, 2]);
        Assert.NotSame(a.Data, b.Data); // still held once
        pool.Release(a);
        var c = pool.Rent([6]);
        Assert.Same(a.Data, c.Data);    // same length: reused
        Assert.Equal([6], c.Shape);
        Assert.NotSame(b.Data, pool.Rent([7]).Data);
    }

    [Fact]
    public void TensorsThatAreNotThePoolsAreLeftAlone()
    {
        var pool = new GradientPool();
        var own = new NtkDynamics.Tensors.Tensor(2, 3);
        pool.Hold(own);
        pool.Release(own);
        Assert.NotSame(own.Data, pool.Rent([2, 3]).Data);
        var unheld = pool.Rent([4]);
        pool.ReleaseUnheld(unheld); // rented, never taken: back at once
        var taken = pool.Rent([4]);
        Assert.Same(unheld.Data, taken.Data);
        pool.Hold(taken);
        pool.ReleaseUnheld(taken);  // held: stays out
        Assert.NotSame(taken.Data, pool.Rent([4]).Data);
    }
}
