package org.grad4j.core;

/**
 * Element types. Storage is float32 for all of them (integers are exact up to 2^24); the tag says
 * how a tensor is meant and printed: comparison results are BOOL, max/min indices are INT64.
 * Only FLOAT32 tensors can require gradients, as in PyTorch.
 */
public enum DType {
    FLOAT32("torch.float32"),
    INT64("torch.int64"),
    BOOL("torch.bool");

    private final String torchName;

    DType(String torchName) {
        this.torchName = torchName;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32;
    }

    @Override
    public String toString() {
        return torchName;
    }
}
