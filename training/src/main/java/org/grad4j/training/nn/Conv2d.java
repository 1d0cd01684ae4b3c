package org.grad4j.training.nn;

import java.util.Arrays;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/**
 * {@code nn.Conv2d}: weight [out, in/groups, kH, kW], bias [out]; input [N, C, H, W] (or [C, H, W]).
 * PyTorch's initialisation: {@code kaiming_uniform_(a=√5)}, i.e. U(-1/√fanIn, 1/√fanIn) with
 * fanIn = in/groups·kH·kW, and the same bound for the bias.
 */
public final class Conv2d extends Module {
    public final int inChannels, outChannels, groups;
    public final int[] kernelSize, stride, padding, dilation;
    public final Tensor weight;
    /** Null when built with {@code bias=false}. */
    public final Tensor bias;

    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0);
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(
                inChannels,
                outChannels,
                new int[] {kernelSize, kernelSize},
                new int[] {stride, stride},
                new int[] {padding, padding},
                new int[] {1, 1},
                1,
                true,
                Generator.defaultGenerator());
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, Generator gen) {
        this(
                inChannels,
                outChannels,
                new int[] {kernelSize, kernelSize},
                new int[] {stride, stride},
                new int[] {padding, padding},
                new int[] {1, 1},
                1,
                true,
                gen);
    }

    public Conv2d(
            int inChannels,
            int outChannels,
            int[] kernelSize,
            int[] stride,
            int[] padding,
            int[] dilation,
            int groups,
            boolean bias,
            Generator gen) {
        if (inChannels <= 0
                || outChannels <= 0
                || groups <= 0
                || inChannels % groups != 0
                || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels (" + inChannels + ") and out_channels ("
                    + outChannels + ") must be positive and divisible by groups (" + groups + ")");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        this.kernelSize = kernelSize.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        int fanIn = inChannels / groups * kernelSize[0] * kernelSize[1];
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        this.weight = registerParameter(
                "weight",
                Parameter.of(Init.uniform(
                        gen, -bound, bound, outChannels, inChannels / groups, kernelSize[0], kernelSize[1])));
        this.bias =
                bias ? registerParameter("bias", Parameter.of(Init.uniform(gen, -bound, bound, outChannels))) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=" + tuple(kernelSize) + ", stride=" + tuple(stride)
                + (padding[0] != 0 || padding[1] != 0 ? ", padding=" + tuple(padding) : "")
                + (dilation[0] != 1 || dilation[1] != 1 ? ", dilation=" + tuple(dilation) : "")
                + (groups != 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=False" : "");
    }

    static String tuple(int[] v) {
        return Arrays.toString(v).replace('[', '(').replace(']', ')');
    }
}
