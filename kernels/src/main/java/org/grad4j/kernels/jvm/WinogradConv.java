package org.grad4j.kernels.jvm;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Window2d;

/**
 * 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of outputs is
 * {@code Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A} for the 4×4 input tile d under it, so the products over the
 * channels are sixteen matrix products (one per tile entry α) with 16 multiplies where the direct sum
 * has 36: 2.25× fewer.
 *
 * <p>The backward passes are the exact adjoints of that forward, with the output gradient's tiles
 * {@code dM = A dY Aᵀ}: input gradient {@code B [Σ_o U ⊙ dM] Bᵀ} added back onto the overlapping
 * input tiles, weight gradient {@code Gᵀ [Σ_tiles dM ⊙ V] G}. Rounding differs from the direct sums
 * (a few ulps more on inputs of one scale). The transforms subtract and add up to 4 terms: an
 * infinite operand would give NaN where the direct sums give ±inf, and a huge finite one could
 * overflow where they do not, so a unit of work holding a value that is not {@link #moderate} takes
 * {@link ImplicitGemmConv} instead.
 *
 * <p>Layout: channels last, lanes over channels (a CNN's 14×14 image has 7 tiles per row, too few for
 * the lanes). An image is transposed into a zero-padded H×W×C buffer, its tiles transformed into
 * {@code V[α][tile][c]}; the products give {@code M[α][tile][o]}; the output tiles are transposed
 * back. Work goes by units of whole images (about {@link #TILES_PER_UNIT} tiles, so that a unit's
 * matrices stay in L2, and at least four units where the batch allows, for the threads); units are
 * fixed by the shape and independent, so the bits do not depend on the number of threads, and the
 * weight gradient sums fixed parts of units in order.
 */
final class WinogradConv {
    private WinogradConv() {}

    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int L = VectorGemm.L;

    /**
     * The sixteen products' shape: k is only the channels and n is 32 to 64 wide, which the 8 × 2L
     * kernel covers in one or two panels while reading A (the transformed tiles) in place; a wider
     * configured tile (6 × 4L on Intel) would pack A and leave half of a 32-wide n empty. Narrower
     * vectors keep the configured shape (8 × 2L spills with 16 registers).
     */
    private static final GemmConfig PRODUCTS =
            L == 16 ? GemmConfig.forShape(8, 2, CpuInfo.current(), L) : VectorGemm.CONFIG;

    /** Fewer channels (in or out) than this leave most lanes of the transforms and the products idle. */
    static final int MIN_CHANNELS = 16;
    /** Tiles per unit of work: a unit's transformed input and products, 16 × tiles × channels each, fit L2. */
    static final int TILES_PER_UNIT = 128;
    /** Images per weight-gradient partial sum (rounded to whole units): fixed, so the order of the sums is. */
    static final int IMAGES_PER_PART = 8;
    /** The most floats one per-thread buffer or the partial sums may hold; larger images take the implicit GEMM. */
    static final long MAX_BUFFER = 1L << 22;
    /**
     * Operands up to this magnitude (2^56) keep every transformed value and product far below the
     * float range (a transformed tile entry is at most 4 times, a transformed weight 2.25 times the
     * largest operand); larger ones take the direct sums, whose overflow is PyTorch's.
     */
    static final float MODERATE = 0x1p56f;

    /** One convolution's sizes: images of channels × h × w, padding (padH, padW), 3×3 taps. */
    record Geometry(int batch, int channels, int outChannels, int h, int w, int padH, int padW) {
        int oh() {
            return h + 2 * padH - 2;
        }

        int ow() {
            return w + 2 * padW - 2;
        }

        int tilesH() {
            return (oh() + 1) / 2;
        }

        int tilesW() {
            return (ow() + 1) / 2;
        }

        int tilesPerImage() {
            return tilesH() * tilesW();
        }

        /** The padded image's rows and columns: every tile's 4×4 window inside. */
        int hp() {
            return 2 * tilesH() + 2;
        }

        int wp() {
            return 2 * tilesW() + 2;
        }

        /** Channels rounded up to whole vectors: the row stride of the channels-last buffers. */
        int cp() {
            return (channels + L - 1) / L * L;
        }

        int op() {
            return (outChannels + L - 1) / L * L;
        }

        int imagesPerUnit() {
            return Math.max(1, Math.min((batch + 3) / 4, TILES_PER_UNIT / tilesPerImage()));
        }

        int units() {
            return (batch + imagesPerUnit() - 1) / imagesPerUnit();
        }

        /** Rows of a unit's matrices (its last unit may use fewer). */
        int unitTiles() {
            return imagesPerUnit() * tilesPerImage();
        }

        int unitsPerPart() {
            return Math.max(1, IMAGES_PER_PART / imagesPerUnit());
        }

        int parts() {
            return (units() + unitsPerPart() - 1) / unitsPerPart();
        }

        /** Whether the weight gradient's partial sums, 16 × channels × outChannels per part, stay within {@link #MAX_BUFFER}. */
        boolean partialsFit() {
            return (long) parts() * 16 * channels * outChannels <= MAX_BUFFER;
        }

        /** Multiply-adds of the sixteen products, times two: one pass's work. */
        long flops() {
            return 2L * 16 * batch * tilesPerImage() * channels * outChannels;
        }

        static Geometry of(ImageShape shape, Window2d window, int outChannels) {
            return new Geometry(
                    shape.batch(),
                    shape.channels(),
                    outChannels,
                    shape.height(),
                    shape.width(),
                    window.padH(),
                    window.padW());
        }
    }

    /**
     * 3×3, stride 1, undilated, at least {@link #MIN_CHANNELS} channels in and out, and per-thread
     * buffers within {@link #MAX_BUFFER} (the weight gradient also needs {@link Geometry#partialsFit}).
     * The caller checks the implicit GEMM's conditions too: it is the fallback.
     */
    static boolean applies(ImageShape shape, Window2d window, int outChannels) {
        if (!Simd.AVAILABLE
                || window.kernelH() != 3
                || window.kernelW() != 3
                || window.strideH() != 1
                || window.strideW() != 1
                || window.dilationH() != 1
                || window.dilationW() != 1
                || shape.channels() < MIN_CHANNELS
                || outChannels < MIN_CHANNELS
                || shape.batch() == 0
                || window.outH(shape.height()) <= 0
                || window.outW(shape.width()) <= 0) return false;
        Geometry g = Geometry.of(shape, window, outChannels);
        long tiles = (long) g.imagesPerUnit() * g.tilesPerImage(), widest = Math.max(g.cp(), g.op());
        return 16 * tiles * widest <= MAX_BUFFER
                && (long) g.hp() * g.wp() * g.cp() <= MAX_BUFFER
                && (long) g.h() * g.w() * widest <= MAX_BUFFER
                && (long) g.oh() * g.ow() * widest <= MAX_BUFFER;
    }

    /** Per thread: one padded image (or its gradient), V (or dV), M (or dM), one image channels-last. */
    private static final class Scratch {
        float[] padded = new float[0], v = new float[0], m = new float[0], image = new float[0];

        Scratch fit(Geometry g) {
            int tiles = g.unitTiles();
            padded = atLeast(padded, g.hp() * g.wp() * g.cp());
            v = atLeast(v, 16 * tiles * g.cp());
            m = atLeast(m, 16 * tiles * g.op());
            image = atLeast(image, Math.max(g.h() * g.w() * g.cp(), g.oh() * g.ow() * g.op()));
            return this;
        }

        private static float[] atLeast(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@code U = G g Gᵀ} for every (o, c), computed in double: {@code u[α][c][o]} (row stride op, the
     * forward's right operand) or, {@code transposed}, {@code u[α][o][c]} (row stride cp, the input
     * gradient's).
     */
    static float[] transformWeight(float[] w, Geometry g, boolean transposed) {
        int channels = g.channels(), outs = g.outChannels(), cp = g.cp(), op = g.op(), plane = cp * op;
        float[] u = new float[16 * plane];
        double[] gg = new double[12];
        for (int o = 0; o < outs; o++) {
            for (int c = 0; c < channels; c++) {
                int k = (o * channels + c) * 9, at = transposed ? o * cp + c : c * op + o;
                for (int j = 0; j < 3; j++) { // G g: rows g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2 of each column
                    double g0 = w[k + j], g1 = w[k + 3 + j], g2 = w[k + 6 + j];
                    gg[j] = g0;
                    gg[3 + j] = 0.5 * (g0 + g1 + g2);
                    gg[6 + j] = 0.5 * (g0 - g1 + g2);
                    gg[9 + j] = g2;
                }
                for (int r = 0; r < 4; r++) { // (G g) Gᵀ: the same along each row
                    double x0 = gg[3 * r], x1 = gg[3 * r + 1], x2 = gg[3 * r + 2];
                    int row = 4 * r * plane + at;
                    u[row] = (float) x0;
                    u[row + plane] = (float) (0.5 * (x0 + x1 + x2));
                    u[row + 2 * plane] = (float) (0.5 * (x0 - x1 + x2));
                    u[row + 3 * plane] = (float) x2;
                }
            }
        }
        return u;
    }

    /** {@code bias} (or zeros) in op floats, read as whole vectors. */
    static float[] paddedBias(float[] bias, Geometry g) {
        float[] b = new float[g.op()];
        if (bias != null) System.arraycopy(bias, 0, b, 0, g.outChannels());
        return b;
    }

    /**
     * Units {@code [u0, u1)} of the forward: {@code out[n] = w ⊛ x[n] + bias}; a unit with a value that is
     * not {@link #moderate} goes to {@link ImplicitGemmConv#forward} (with the weight w and its grid).
     */
    static void forward(
            float[] x,
            int u0,
            int u1,
            Geometry g,
            float[] u,
            float[] paddedBias,
            float[] out,
            ImplicitGemmConv.Grid grid,
            float[] w,
            float[] bias) {
        Scratch s = SCRATCH.get().fit(g);
        int image = g.channels() * g.h() * g.w(), outImage = g.outChannels() * g.oh() * g.ow();
        int tiles = g.unitTiles(), tpi = g.tilesPerImage(), cp = g.cp(), op = g.op(), plane = cp * op;
        for (int unit = u0; unit < u1; unit++) {
            int n0 = unit * g.imagesPerUnit(), n1 = Math.min(g.batch(), n0 + g.imagesPerUnit());
            if (!moderate(x, n0 * image, n1 * image)) {
                ImplicitGemmConv.forward(x, n0, n1, grid, w, g.outChannels(), bias, out);
                continue;
            }
            for (int n = n0; n < n1; n++) inputTiles(x, n * image, g, s, (n - n0) * tpi);
            int rows = (n1 - n0) * tpi;
            for (int alpha = 0; alpha < 16; alpha++) {
                VectorGemm.gemm(
                        PRODUCTS,
                        rows,
                        g.outChannels(),
                        g.channels(),
                        1f,
                        s.v,
                        alpha * tiles * cp,
                        cp,
                        1,
                        u,
                        alpha * plane,
                        op,
                        1,
                        s.m,
                        alpha * tiles * op,
                        op,
                        true,
                        false,
                        false);
            }
            for (int n = n0; n < n1; n++) outputTiles(s, (n - n0) * tpi, g, paddedBias, out, n * outImage);
        }
    }

    /**
     * Units {@code [u0, u1)} of the input gradient; a unit whose output gradient has a value that is not
     * {@link #moderate} takes the implicit GEMM on the flipped, transposed {@code weight} (made then).
     */
    static void inputGrad(
            float[] gradOut,
            int u0,
            int u1,
            Geometry g,
            float[] ut,
            float[] gradInput,
            ImplicitGemmConv.Grid inputGradGrid,
            float[] weight) {
        Scratch s = SCRATCH.get().fit(g);
        int image = g.channels() * g.h() * g.w(), outImage = g.outChannels() * g.oh() * g.ow();
        int tiles = g.unitTiles(), tpi = g.tilesPerImage(), cp = g.cp(), op = g.op(), plane = cp * op;
        for (int unit = u0; unit < u1; unit++) {
            int n0 = unit * g.imagesPerUnit(), n1 = Math.min(g.batch(), n0 + g.imagesPerUnit());
            if (!moderate(gradOut, n0 * outImage, n1 * outImage)) {
                float[] wt = ImplicitGemmConv.flippedTransposed(weight, g.outChannels(), g.channels(), 3, 3);
                ImplicitGemmConv.forward(gradOut, n0, n1, inputGradGrid, wt, g.channels(), null, gradInput);
                continue;
            }
            for (int n = n0; n < n1; n++) gradTiles(gradOut, n * outImage, g, s, (n - n0) * tpi);
            int rows = (n1 - n0) * tpi;
            for (int alpha = 0; alpha < 16; alpha++) { // dV[α] = dM[α] Uᵀ[α]
                VectorGemm.gemm(
                        PRODUCTS,
                        rows,
                        g.channels(),
                        g.outChannels(),
                        1f,
                        s.m,
                        alpha * tiles * op,
                        op,
                        1,
                        ut,
                        alpha * plane,
                        cp,
                        1,
                        s.v,
                        alpha * tiles * cp,
                        cp,
                        true,
                        false,
                        false);
            }
            for (int n = n0; n < n1; n++) foldTiles(s, (n - n0) * tpi, g, gradInput, n * image);
        }
    }

    /**
     * Parts {@code [p0, p1)} of the weight gradient: {@code partials[p][α][c][o]} = the sum over the
     * part's tiles of {@code V[α][tile][c] · dM[α][tile][o]}. Returns false, leaving the rest undone, at
     * the first unit with an input or output gradient value that is not {@link #moderate} (the caller
     * then computes the whole gradient the direct way). Unless {@code biasPartials} is null,
     * {@code biasPartials[p]} gets the part's bias gradient, each image's summed as its tiles are made.
     */
    static boolean weightGradParts(
            float[] x, float[] gradOut, int p0, int p1, Geometry g, float[] partials, float[] biasPartials) {
        Scratch s = SCRATCH.get().fit(g);
        int image = g.channels() * g.h() * g.w(), outImage = g.outChannels() * g.oh() * g.ow();
        int tiles = g.unitTiles(), tpi = g.tilesPerImage(), cp = g.cp(), op = g.op();
        int sums = g.channels() * g.outChannels();
        for (int p = p0; p < p1; p++) {
            int firstUnit = p * g.unitsPerPart(), lastUnit = Math.min(g.units(), firstUnit + g.unitsPerPart());
            for (int unit = firstUnit; unit < lastUnit; unit++) {
                int n0 = unit * g.imagesPerUnit(), n1 = Math.min(g.batch(), n0 + g.imagesPerUnit());
                if (!moderate(x, n0 * image, n1 * image) || !moderate(gradOut, n0 * outImage, n1 * outImage))
                    return false;
                for (int n = n0; n < n1; n++) {
                    inputTiles(x, n * image, g, s, (n - n0) * tpi);
                    gradTiles(gradOut, n * outImage, g, s, (n - n0) * tpi);
                    if (biasPartials != null) {
                        boolean first = n == firstUnit * g.imagesPerUnit();
                        ConvBiasGrad.sumImage(
                                gradOut, n, g.outChannels(), g.oh() * g.ow(), biasPartials, p * g.outChannels(), first);
                    }
                }
                int rows = (n1 - n0) * tpi;
                for (int alpha = 0; alpha < 16; alpha++) { // dU[α] (+)= V[α]ᵀ dM[α]
                    VectorGemm.gemm(
                            PRODUCTS,
                            g.channels(),
                            g.outChannels(),
                            rows,
                            1f,
                            s.v,
                            alpha * tiles * cp,
                            1,
                            cp,
                            s.m,
                            alpha * tiles * op,
                            op,
                            1,
                            partials,
                            (p * 16 + alpha) * sums,
                            g.outChannels(),
                            unit == firstUnit,
                            false,
                            false);
                }
            }
        }
        return true;
    }

    /**
     * {@code gradWeight[o][c][i][j] = (Gᵀ dU G)[i][j]} where {@code dU[α][c][o]} is the sum of the parts'
     * partials, parts in order (left in part 0); the last transform in double.
     */
    static void sumParts(float[] partials, Geometry g, float[] gradWeight) {
        int channels = g.channels(), outs = g.outChannels(), sums = channels * outs, parts = g.parts();
        int part = 16 * sums, e = 0;
        for (; e + L <= part; e += L) { // into part 0, the parts added in order
            FloatVector sum = FloatVector.fromArray(S, partials, e);
            for (int p = 1; p < parts; p++) sum = sum.add(FloatVector.fromArray(S, partials, p * part + e));
            sum.intoArray(partials, e);
        }
        for (; e < part; e++) for (int p = 1; p < parts; p++) partials[e] += partials[p * part + e];
        double[] du = new double[16], half = new double[12];
        for (int c = 0; c < channels; c++) {
            for (int o = 0; o < outs; o++) {
                for (int alpha = 0; alpha < 16; alpha++) du[alpha] = partials[alpha * sums + c * outs + o];
                for (int s = 0; s < 4; s++) { // Gᵀ dU: rows X0 + (X1+X2)/2, (X1-X2)/2, (X1+X2)/2 + X3
                    double x0 = du[s], x1 = du[4 + s], x2 = du[8 + s], x3 = du[12 + s];
                    half[s] = x0 + 0.5 * (x1 + x2);
                    half[4 + s] = 0.5 * (x1 - x2);
                    half[8 + s] = 0.5 * (x1 + x2) + x3;
                }
                int k = (o * channels + c) * 9;
                for (int i = 0; i < 3; i++) { // (Gᵀ dU) G: the same along each row
                    double x0 = half[4 * i], x1 = half[4 * i + 1], x2 = half[4 * i + 2], x3 = half[4 * i + 3];
                    gradWeight[k + 3 * i] = (float) (x0 + 0.5 * (x1 + x2));
                    gradWeight[k + 3 * i + 1] = (float) (0.5 * (x1 - x2));
                    gradWeight[k + 3 * i + 2] = (float) (0.5 * (x1 + x2) + x3);
                }
            }
        }
    }

    /** Image {@code x[xo ...]} into the padded channels-last buffer, then its tiles into V from tile row {@code t0}. */
    private static void inputTiles(float[] x, int xo, Geometry g, Scratch s, int t0) {
        int cp = g.cp(), wp = g.wp(), w = g.w(), tw = g.tilesW(), tiles = g.unitTiles();
        RegisterTranspose.transpose(x, xo, g.h() * w, s.image, 0, cp, g.channels(), g.h() * w); // channels-last
        float[] p = s.padded;
        Arrays.fill(p, 0, g.hp() * wp * cp, 0f);
        for (int y = 0; y < g.h(); y++)
            System.arraycopy(s.image, y * w * cp, p, ((y + g.padH()) * wp + g.padW()) * cp, w * cp);
        int rs = wp * cp, as = tiles * cp;
        for (int ty = 0; ty < g.tilesH(); ty++) {
            for (int tx = 0; tx < tw; tx++) {
                int at = (2 * ty * wp + 2 * tx) * cp, vo = (t0 + ty * tw + tx) * cp;
                for (int c = 0; c < cp; c += L) inputTile(p, at + c, rs, cp, s.v, vo + c, as);
            }
        }
    }

    /** {@code V = Bᵀ d B} of one tile, a vector of channels per entry; α = 4·row + column. */
    private static void inputTile(float[] p, int at, int rs, int cs, float[] v, int vo, int as) {
        // Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], first along each row of the tile (· B)
        FloatVector d0 = FloatVector.fromArray(S, p, at), d1 = FloatVector.fromArray(S, p, at + cs);
        FloatVector d2 = FloatVector.fromArray(S, p, at + 2 * cs), d3 = FloatVector.fromArray(S, p, at + 3 * cs);
        FloatVector e00 = d0.sub(d2), e01 = d1.add(d2), e02 = d2.sub(d1), e03 = d1.sub(d3);
        at += rs;
        d0 = FloatVector.fromArray(S, p, at);
        d1 = FloatVector.fromArray(S, p, at + cs);
        d2 = FloatVector.fromArray(S, p, at + 2 * cs);
        d3 = FloatVector.fromArray(S, p, at + 3 * cs);
        FloatVector e10 = d0.sub(d2), e11 = d1.add(d2), e12 = d2.sub(d1), e13 = d1.sub(d3);
        at += rs;
        d0 = FloatVector.fromArray(S, p, at);
        d1 = FloatVector.fromArray(S, p, at + cs);
        d2 = FloatVector.fromArray(S, p, at + 2 * cs);
        d3 = FloatVector.fromArray(S, p, at + 3 * cs);
        FloatVector e20 = d0.sub(d2), e21 = d1.add(d2), e22 = d2.sub(d1), e23 = d1.sub(d3);
        at += rs;
        d0 = FloatVector.fromArray(S, p, at);
        d1 = FloatVector.fromArray(S, p, at + cs);
        d2 = FloatVector.fromArray(S, p, at + 2 * cs);
        d3 = FloatVector.fromArray(S, p, at + 3 * cs);
        FloatVector e30 = d0.sub(d2), e31 = d1.add(d2), e32 = d2.sub(d1), e33 = d1.sub(d3);
        // then down each column (Bᵀ ·)
        e00.sub(e20).intoArray(v, vo);
        e01.sub(e21).intoArray(v, vo + as);
        e02.sub(e22).intoArray(v, vo + 2 * as);
        e03.sub(e23).intoArray(v, vo + 3 * as);
        e10.add(e20).intoArray(v, vo + 4 * as);
        e11.add(e21).intoArray(v, vo + 5 * as);
        e12.add(e22).intoArray(v, vo + 6 * as);
        e13.add(e23).intoArray(v, vo + 7 * as);
        e20.sub(e10).intoArray(v, vo + 8 * as);
        e21.sub(e11).intoArray(v, vo + 9 * as);
        e22.sub(e12).intoArray(v, vo + 10 * as);
        e23.sub(e13).intoArray(v, vo + 11 * as);
        e10.sub(e30).intoArray(v, vo + 12 * as);
        e11.sub(e31).intoArray(v, vo + 13 * as);
        e12.sub(e32).intoArray(v, vo + 14 * as);
        e13.sub(e33).intoArray(v, vo + 15 * as);
    }

    /**
     * The output tiles {@code Aᵀ M A} (+ bias) of one image, tiles from row {@code t0} of M, into the
     * channels-last image buffer, then transposed into {@code out[oo ...]}.
     */
    private static void outputTiles(Scratch s, int t0, Geometry g, float[] bias, float[] out, int oo) {
        int op = g.op(), oh = g.oh(), ow = g.ow(), tw = g.tilesW(), as = g.unitTiles() * op;
        float[] m = s.m, y = s.image;
        for (int ty = 0; ty < g.tilesH(); ty++) {
            for (int tx = 0; tx < tw; tx++) {
                int mo = (t0 + ty * tw + tx) * op, oy = 2 * ty, ox = 2 * tx;
                boolean right = ox + 1 < ow, below = oy + 1 < oh;
                int at = (oy * ow + ox) * op;
                for (int o = 0; o < op; o += L) {
                    int mi = mo + o;
                    // Aᵀ = [1 1 1 0; 0 1 -1 -1]: first down each column, rows 0..3 of M
                    FloatVector m0 = FloatVector.fromArray(S, m, mi), m1 = FloatVector.fromArray(S, m, mi + as);
                    FloatVector m2 = FloatVector.fromArray(S, m, mi + 2 * as);
                    FloatVector m3 = FloatVector.fromArray(S, m, mi + 3 * as);
                    FloatVector z00 = m0, z01 = m1, z02 = m2, z03 = m3;
                    mi += 4 * as;
                    m0 = FloatVector.fromArray(S, m, mi);
                    m1 = FloatVector.fromArray(S, m, mi + as);
                    m2 = FloatVector.fromArray(S, m, mi + 2 * as);
                    m3 = FloatVector.fromArray(S, m, mi + 3 * as);
                    z00 = z00.add(m0);
                    z01 = z01.add(m1);
                    z02 = z02.add(m2);
                    z03 = z03.add(m3);
                    FloatVector z10 = m0, z11 = m1, z12 = m2, z13 = m3;
                    mi += 4 * as;
                    m0 = FloatVector.fromArray(S, m, mi);
                    m1 = FloatVector.fromArray(S, m, mi + as);
                    m2 = FloatVector.fromArray(S, m, mi + 2 * as);
                    m3 = FloatVector.fromArray(S, m, mi + 3 * as);
                    z00 = z00.add(m0);
                    z01 = z01.add(m1);
                    z02 = z02.add(m2);
                    z03 = z03.add(m3);
                    z10 = z10.sub(m0);
                    z11 = z11.sub(m1);
                    z12 = z12.sub(m2);
                    z13 = z13.sub(m3);
                    mi += 4 * as;
                    z10 = z10.sub(FloatVector.fromArray(S, m, mi));
                    z11 = z11.sub(FloatVector.fromArray(S, m, mi + as));
                    z12 = z12.sub(FloatVector.fromArray(S, m, mi + 2 * as));
                    z13 = z13.sub(FloatVector.fromArray(S, m, mi + 3 * as));
                    // then along each row (· A), plus the bias
                    FloatVector b = FloatVector.fromArray(S, bias, o);
                    z00.add(z01).add(z02).add(b).intoArray(y, at + o);
                    if (right) z01.sub(z02).sub(z03).add(b).intoArray(y, at + op + o);
                    if (below) {
                        z10.add(z11).add(z12).add(b).intoArray(y, at + ow * op + o);
                        if (right) z11.sub(z12).sub(z13).add(b).intoArray(y, at + (ow + 1) * op + o);
                    }
                }
            }
        }
        RegisterTranspose.transpose(y, 0, op, out, oo, oh * ow, oh * ow, g.outChannels()); // channels-first
    }

    /** The output gradient of one image, channels-last, then {@code dM = A dY Aᵀ} of its tiles into M from row t0. */
    private static void gradTiles(float[] gradOut, int go, Geometry g, Scratch s, int t0) {
        int op = g.op(), oh = g.oh(), ow = g.ow(), tw = g.tilesW(), as = g.unitTiles() * op;
        float[] y = s.image, m = s.m, edge = null;
        RegisterTranspose.transpose(gradOut, go, oh * ow, y, 0, op, g.outChannels(), oh * ow); // channels-last
        for (int ty = 0; ty < g.tilesH(); ty++) {
            for (int tx = 0; tx < tw; tx++) {
                int mo = (t0 + ty * tw + tx) * op, oy = 2 * ty, ox = 2 * tx;
                boolean right = ox + 1 < ow, below = oy + 1 < oh;
                int at = (oy * ow + ox) * op;
                for (int o = 0; o < op; o += L) {
                    if (right && below) {
                        gradTile(y, at + o, at + op + o, at + ow * op + o, at + (ow + 1) * op + o, m, mo + o, as);
                        continue;
                    }
                    // a block cut by the image's edge: its 2×2 values, zero past the edge, in a small buffer
                    if (edge == null) edge = new float[4 * L];
                    Arrays.fill(edge, 0f);
                    System.arraycopy(y, at + o, edge, 0, L);
                    if (right) System.arraycopy(y, at + op + o, edge, L, L);
                    if (below) System.arraycopy(y, at + ow * op + o, edge, 2 * L, L);
                    gradTile(edge, 0, L, 2 * L, 3 * L, m, mo + o, as);
                }
            }
        }
    }

    /**
     * {@code dM = A dY Aᵀ} for the 2×2 block (a b; c d) of the gradient at those offsets, a vector of
     * channels each, into {@code m[mi + α·as]}. (Vectors are loaded here, not passed in: a vector passed
     * to a method the JIT does not inline is boxed.)
     */
    private static void gradTile(float[] y, int ia, int ib, int ic, int id, float[] m, int mi, int as) {
        FloatVector a = FloatVector.fromArray(S, y, ia), b = FloatVector.fromArray(S, y, ib);
        FloatVector c = FloatVector.fromArray(S, y, ic), d = FloatVector.fromArray(S, y, id);
        // A = [1 0; 1 1; 1 -1; 0 -1]: rows (a, b), (a+c, b+d), (a-c, b-d), (-c, -d), then each row
        // (p, q) as (p, p+q, p-q, -q)
        FloatVector p = a, q = b;
        p.intoArray(m, mi);
        p.add(q).intoArray(m, mi + as);
        p.sub(q).intoArray(m, mi + 2 * as);
        q.neg().intoArray(m, mi + 3 * as);
        p = a.add(c);
        q = b.add(d);
        p.intoArray(m, mi + 4 * as);
        p.add(q).intoArray(m, mi + 5 * as);
        p.sub(q).intoArray(m, mi + 6 * as);
        q.neg().intoArray(m, mi + 7 * as);
        p = a.sub(c);
        q = b.sub(d);
        p.intoArray(m, mi + 8 * as);
        p.add(q).intoArray(m, mi + 9 * as);
        p.sub(q).intoArray(m, mi + 10 * as);
        q.neg().intoArray(m, mi + 11 * as);
        p = c.neg();
        q = d.neg();
        p.intoArray(m, mi + 12 * as);
        p.add(q).intoArray(m, mi + 13 * as);
        p.sub(q).intoArray(m, mi + 14 * as);
        q.neg().intoArray(m, mi + 15 * as);
    }

    /**
     * {@code B dV Bᵀ} of one image's tiles (from row t0 of dV) added onto the padded channels-last
     * gradient, which is then cropped and transposed into {@code gradInput[io ...]}.
     */
    private static void foldTiles(Scratch s, int t0, Geometry g, float[] gradInput, int io) {
        int cp = g.cp(), wp = g.wp(), w = g.w(), tw = g.tilesW(), as = g.unitTiles() * cp, rs = wp * cp;
        float[] p = s.padded;
        Arrays.fill(p, 0, g.hp() * wp * cp, 0f);
        for (int ty = 0; ty < g.tilesH(); ty++) {
            for (int tx = 0; tx < tw; tx++) {
                int vo = (t0 + ty * tw + tx) * cp, at = (2 * ty * wp + 2 * tx) * cp;
                for (int c = 0; c < cp; c += L) foldTile(s.v, vo + c, as, p, at + c, rs, cp);
            }
        }
        for (int y = 0; y < g.h(); y++)
            System.arraycopy(p, ((y + g.padH()) * wp + g.padW()) * cp, s.image, y * w * cp, w * cp);
        RegisterTranspose.transpose(
                s.image, 0, cp, gradInput, io, g.h() * w, g.h() * w, g.channels()); // channels-first
    }

    /** {@code p[pi + r·rs + s·cs] += (B dV Bᵀ)[r][s]} for the tile whose dV entries are {@code v[vi + α·as]}. */
    private static void foldTile(float[] v, int vi, int as, float[] p, int pi, int rs, int cs) {
        // B = [1 0 0 0; 0 1 -1 1; -1 1 1 0; 0 0 0 -1]: the rows of dV combined first (B ·), a column at a
        // time, then each row (y0, y1, y2, y3) as (y0, y1 - y2 + y3, y1 + y2 - y0, -y3), added on
        FloatVector x0 = FloatVector.fromArray(S, v, vi), x4 = FloatVector.fromArray(S, v, vi + 4 * as);
        FloatVector x8 = FloatVector.fromArray(S, v, vi + 8 * as), x12 = FloatVector.fromArray(S, v, vi + 12 * as);
        FloatVector r00 = x0, r10 = x4.sub(x8).add(x12), r20 = x4.add(x8).sub(x0), r30 = x12;
        x0 = FloatVector.fromArray(S, v, vi + as);
        x4 = FloatVector.fromArray(S, v, vi + 5 * as);
        x8 = FloatVector.fromArray(S, v, vi + 9 * as);
        x12 = FloatVector.fromArray(S, v, vi + 13 * as);
        FloatVector r01 = x0, r11 = x4.sub(x8).add(x12), r21 = x4.add(x8).sub(x0), r31 = x12;
        x0 = FloatVector.fromArray(S, v, vi + 2 * as);
        x4 = FloatVector.fromArray(S, v, vi + 6 * as);
        x8 = FloatVector.fromArray(S, v, vi + 10 * as);
        x12 = FloatVector.fromArray(S, v, vi + 14 * as);
        FloatVector r02 = x0, r12 = x4.sub(x8).add(x12), r22 = x4.add(x8).sub(x0), r32 = x12;
        x0 = FloatVector.fromArray(S, v, vi + 3 * as);
        x4 = FloatVector.fromArray(S, v, vi + 7 * as);
        x8 = FloatVector.fromArray(S, v, vi + 11 * as);
        x12 = FloatVector.fromArray(S, v, vi + 15 * as);
        FloatVector r03 = x0, r13 = x4.sub(x8).add(x12), r23 = x4.add(x8).sub(x0), r33 = x12;
        int at = pi; // row 0
        FloatVector.fromArray(S, p, at).add(r00).intoArray(p, at);
        FloatVector.fromArray(S, p, at + cs).add(r01.sub(r02).add(r03)).intoArray(p, at + cs);
        FloatVector.fromArray(S, p, at + 2 * cs).add(r01.add(r02).sub(r00)).intoArray(p, at + 2 * cs);
        FloatVector.fromArray(S, p, at + 3 * cs).sub(r03).intoArray(p, at + 3 * cs);
        at += rs;
        FloatVector.fromArray(S, p, at).add(r10).intoArray(p, at);
        FloatVector.fromArray(S, p, at + cs).add(r11.sub(r12).add(r13)).intoArray(p, at + cs);
        FloatVector.fromArray(S, p, at + 2 * cs).add(r11.add(r12).sub(r10)).intoArray(p, at + 2 * cs);
        FloatVector.fromArray(S, p, at + 3 * cs).sub(r13).intoArray(p, at + 3 * cs);
        at += rs;
        FloatVector.fromArray(S, p, at).add(r20).intoArray(p, at);
        FloatVector.fromArray(S, p, at + cs).add(r21.sub(r22).add(r23)).intoArray(p, at + cs);
        FloatVector.fromArray(S, p, at + 2 * cs).add(r21.add(r22).sub(r20)).intoArray(p, at + 2 * cs);
        FloatVector.fromArray(S, p, at + 3 * cs).sub(r23).intoArray(p, at + 3 * cs);
        at += rs; // row 3 is minus row 3 of dV
        FloatVector.fromArray(S, p, at).sub(r30).intoArray(p, at);
        FloatVector.fromArray(S, p, at + cs).sub(r31.sub(r32).add(r33)).intoArray(p, at + cs);
        FloatVector.fromArray(S, p, at + 2 * cs).sub(r31.add(r32).sub(r30)).intoArray(p, at + 2 * cs);
        FloatVector.fromArray(S, p, at + 3 * cs).add(r33).intoArray(p, at + 3 * cs);
    }

    /**
     * Whether every value of {@code a[from, to)} is finite and at most {@link #MODERATE} in magnitude
     * ({@code v - v} is NaN exactly for an infinity or a NaN).
     */
    static boolean moderate(float[] a, int from, int to) {
        FloatVector nan = FloatVector.zero(S), largest = nan;
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, a, i);
            nan = nan.add(v.sub(v));
            largest = largest.max(v.abs());
        }
        boolean ok =
                !nan.test(VectorOperators.IS_NAN).anyTrue() && largest.reduceLanes(VectorOperators.MAX) <= MODERATE;
        for (; i < to; i++) ok &= Math.abs(a[i]) <= MODERATE; // false for NaN too
        return ok;
    }
}
