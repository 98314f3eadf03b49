/// Vectorized elementary functions for the activation kernels.
///
/// `exp` follows the classic Cody–Waite reduction: `x = n·ln2 + r` with `|r| ≤ ln2/2`, a degree-6
/// polynomial for `eʳ`, and `2ⁿ` built in the exponent bits. Its relative error is below 2·10⁻⁷
/// on [−87, 88] (checked against `Foundation.exp` in the tests); outside it saturates to 0 or a
/// large finite value; NaN stays NaN. `tanh` and `sigmoid` are built on it, with absolute error
/// below 10⁻⁶.
enum VectorMath {
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Swift's generic SIMD rounding and Float→Int conversions run lane by lane; adding
        // 1.5·2²³ rounds to nearest in the float unit and leaves n in the low mantissa bits.
        let roundingMagic = SIMD8<Float>(repeating: 12_582_912)
        // Clamped by masked blends: the generic pointwiseMin/Max are not inlined into this loop.
        let clamped = x.replacing(with: 88.3, where: x .> 88.3).replacing(with: -87.3, where: x .< -87.3)
        let shifted = clamped * 1.442_695_04 + roundingMagic
        let n = shifted - roundingMagic
        // ln 2 split in two so that n·ln2_high is exact.
        var r = clamped - n * 0.693_145_752
        r = r - n * 1.428_606_8e-6
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integerN = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let twoToTheN = unsafeBitCast((integerN &+ 127) &<< 23, to: SIMD8<Float>.self)
        // NaN is no bound's and passes the clamp; keep it NaN explicitly, so that a weight gone NaN
        // shows as a NaN loss instead of a saturated unit.
        return (p * twoToTheN).replacing(with: x, where: x .!= x)
    }

    /// `tanh(x) = 1 − 2 / (e²ˣ + 1)`, exact to saturation for large |x|.
    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let e = exp(2 * x)
        return 1 - 2 / (e + 1)
    }

    /// `σ(x) = 1 / (1 + e⁻ˣ)`.
    /// `tanh(x)` to a relative error of about 10⁻⁶ everywhere, small `x` included: `1 − 2/(e²ˣ + 1)`
    /// loses every digit of `tanh(10⁻⁹)` to cancellation (it returns 0), so below |x| = 1/4 the odd
    /// Taylor series to x⁹ stands in (its first omitted term is below 10⁻⁸ of x there).
    @inline(__always)
    static func tanhRelative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x2 = x * x
        var series = SIMD8<Float>(repeating: 62.0 / 2835)
        series = series * x2 - 17.0 / 315
        series = series * x2 + 2.0 / 15
        series = series * x2 - 1.0 / 3
        series = (series * x2 + 1) * x
        return tanh(x).replacing(with: series, where: x2 .< 0.0625)
    }

    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(SIMD8(repeating: x))[0] }
    @inline(__always)
    static func tanh(_ x: Float) -> Float { tanh(SIMD8(repeating: x))[0] }
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { sigmoid(SIMD8(repeating: x))[0] }
}
