/// A unit's transfer function `h = f(a)`.
///
/// The positive and negative rectifiers are the two node kinds of Kickback (Balduzzi et al. 2015):
/// both fire when `a > 0`; the positive one outputs `a` (subgradient `𝟙 = 1`), the negative one
/// outputs `−a` (subgradient `𝟙 = −1`). `relu` is the positive rectifier under its usual name.
/// `mixedRectifier` is a Kickback layer: its first `positiveUnits` units are positive rectifiers,
/// the rest negative (ALGORITHMS.md follows the subgradient: `N(a) = −max(0, a)`).
public enum Activation: String, CaseIterable, Sendable, Codable {
    case tanh
    case sigmoid
    case relu
    case identity
    case positiveRectifier = "positive-rectifier"
    case negativeRectifier = "negative-rectifier"
    case mixedRectifier = "mixed-rectifier"
    /// `ρ(a) = clip(a, 0, 1)`, the settling networks' unit (Scellier & Bengio 2017).
    case hardSigmoid = "hard-sigmoid"

    /// `h = f(a)`, elementwise over the rows in use. `positiveUnits` splits a mixed rectifier layer.
    public func apply(_ preActivation: Matrix, into activity: inout Matrix, positiveUnits: Int = .max) {
        precondition(preActivation.rows == activity.rows && preActivation.columns == activity.columns)
        if self == .mixedRectifier {
            Self.mixed(preActivation, into: &activity, positiveUnits: positiveUnits) { a, positive in
                a < 0 || a == 0 ? 0 : (positive ? a : -a)  // NaN passes through, as in every activation
            }
            return
        }
        let count = preActivation.count
        preActivation.storage.withUnsafeBufferPointer { a in
            activity.storage.withUnsafeMutableBufferPointer { h in
                let a = a.baseAddress!, h = h.baseAddress!
                switch self {
                case .tanh: Self.mapOnCores(a, h, count, Self.tanhChunk)
                case .sigmoid: Self.mapOnCores(a, h, count, Self.sigmoidChunk)
                case .relu, .positiveRectifier:
                    Self.map(a, h, count) { $0.replacing(with: 0, where: $0 .< 0) }
                case .negativeRectifier:
                    Self.map(a, h, count) { (-$0).replacing(with: 0, where: $0 .< 0) }
                case .mixedRectifier: break
                case .identity: h.update(from: a, count: count)
                case .hardSigmoid:
                    Self.map(a, h, count) { $0.replacing(with: 0, where: $0 .< 0).replacing(with: 1, where: $0 .> 1) }
                }
            }
        }
    }

    /// `g ← g ⊙ f'(a)`: turns a credit with respect to the activity into one with respect to the
    /// pre-activation. The derivative is taken from the activity where that is cheaper (tanh,
    /// sigmoid) and from the pre-activation for the rectifiers.
    public func multiplyByDerivative(_ gradient: inout Matrix, preActivation: Matrix, activity: Matrix, positiveUnits: Int = .max) {
        precondition(gradient.rows == activity.rows && gradient.columns == activity.columns)
        if self == .mixedRectifier {
            let columns = gradient.columns, rows = gradient.rows
            gradient.storage.withUnsafeMutableBufferPointer { g in
                preActivation.storage.withUnsafeBufferPointer { a in
                    for r in 0..<rows {
                        let base = r * columns
                        for j in 0..<columns {
                            let firing = a[base + j] > 0
                            g[base + j] *= firing ? (j < positiveUnits ? 1 : -1) : 0
                        }
                    }
                }
            }
            return
        }
        let count = gradient.count
        gradient.storage.withUnsafeMutableBufferPointer { g in
            preActivation.storage.withUnsafeBufferPointer { a in
                activity.storage.withUnsafeBufferPointer { h in
                    let g = g.baseAddress!, a = a.baseAddress!, h = h.baseAddress!
                    if VectorKernels.scaleBySlope(of: self, g, activity: h, count) { return }
                    switch self {
                    case .tanh: Self.scale(g, by: h, count) { 1 - $0 * $0 }
                    case .sigmoid: Self.scale(g, by: h, count) { $0 * (1 - $0) }
                    case .relu, .positiveRectifier:
                        Self.scale(g, by: a, count) { SIMD8(repeating: 0).replacing(with: 1, where: $0 .> 0) }
                    case .negativeRectifier:
                        Self.scale(g, by: a, count) { SIMD8(repeating: 0).replacing(with: -1, where: $0 .> 0) }
                    case .mixedRectifier: break
                    case .identity: break
                    case .hardSigmoid:
                        Self.scale(g, by: a, count) { SIMD8(repeating: 0).replacing(with: 1, where: ($0 .> 0) .& ($0 .< 1)) }
                    }
                }
            }
        }
    }

    /// `Δh = f(a + δ) − f(a)`, the change of activity that a shift `δ` of the pre-activation makes,
    /// given `h = f(a)`: computed without subtracting two activities, whose rounding (about 10⁻⁷
    /// of `h`) would swamp any change smaller than that — an activity difference late in training,
    /// when the output error is tiny. For tanh, `tanh(a + δ) − tanh(a) = tanh δ · (1 − h²)/(1 + h tanh δ)`;
    /// sigmoid is tanh of a/2 (`2h(1 − h) tanh(δ/2)/(1 + (2h − 1) tanh(δ/2))`); the rectifiers and
    /// the hard sigmoid change by δ, or not at all, where `a` and `a + δ` lie on one side of a kink
    /// (the hard sigmoid by δ clamped to `[−a, 1 − a]` from inside).
    /// Lanes where the quotient's denominator is small (both sides near opposite saturation, so no
    /// cancellation to fear) take the difference as it stands.
    public func change(preActivation: Matrix, activity: Matrix, shift: Matrix, into change: inout Matrix, positiveUnits: Int = .max) {
        precondition(preActivation.rows == shift.rows && preActivation.columns == shift.columns
            && activity.rows == shift.rows && activity.columns == shift.columns)
        change.resizeRows(shift.rows)
        if self == .mixedRectifier {
            let columns = shift.columns
            change.storage.withUnsafeMutableBufferPointer { d in
                preActivation.storage.withUnsafeBufferPointer { a in
                    shift.storage.withUnsafeBufferPointer { δ in
                        func rectified(_ x: Float) -> Float { x < 0 ? 0 : x }  // not max(x, 0), which turns NaN into 0
                        for k in 0..<(shift.rows * columns) {
                            let (before, after) = (a[k], a[k] + δ[k])
                            let sign: Float = k % columns < positiveUnits ? 1 : -1
                            d[k] = before > 0 && after > 0 ? sign * δ[k] : sign * (rectified(after) - rectified(before))
                        }
                    }
                }
            }
            return
        }
        let count = shift.rows * shift.columns
        preActivation.storage.withUnsafeBufferPointer { a in
            activity.storage.withUnsafeBufferPointer { h in
                shift.storage.withUnsafeBufferPointer { δ in
                    change.storage.withUnsafeMutableBufferPointer { d in
                        var operands = ChangeOperands(activation: self, a: a.baseAddress!, h: h.baseAddress!, shift: δ.baseAddress!,
                                                      change: d.baseAddress!)
                        withUnsafePointer(to: &operands) {
                            Parallel.forEachChunk(count, minimumPerThread: Self.transcendentalChunk, context: $0, Self.changeChunk)
                        }
                    }
                }
            }
        }
    }

    private struct ChangeOperands {
        let activation: Activation
        let a: UnsafePointer<Float>, h: UnsafePointer<Float>, shift: UnsafePointer<Float>, change: UnsafeMutablePointer<Float>
    }

    private static let changeChunk: Parallel.ChunkKernel = { context, lower, upper in
        let o = context.assumingMemoryBound(to: ChangeOperands.self).pointee
        if VectorKernels.change(of: o.activation, preActivation: o.a + lower, activity: o.h + lower, shift: o.shift + lower,
                                into: o.change + lower, upper - lower) { return }
        var i = lower
        while i < upper {
            let lanes = min(8, upper - i)
            var a = SIMD8<Float>(), h = SIMD8<Float>(), δ = SIMD8<Float>()
            if lanes == 8 {
                (a, h, δ) = (load8(o.a + i), load8(o.h + i), load8(o.shift + i))
            } else {
                for t in 0..<lanes { (a[t], h[t], δ[t]) = (o.a[i + t], o.h[i + t], o.shift[i + t]) }
            }
            let d = o.activation.change(a, h, δ)
            if lanes == 8 { store8(d, o.change + i) } else { for t in 0..<lanes { o.change[i + t] = d[t] } }
            i += 8
        }
    }

    /// Eight lanes of ``change(preActivation:activity:shift:into:positiveUnits:)`` (the portable
    /// kernel; internal so that the tests can hold the C twins to it).
    @inline(__always)
    func change(_ a: SIMD8<Float>, _ h: SIMD8<Float>, _ δ: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .tanh, .sigmoid:
            // With T the tanh of the (half) pre-activation and u of the (half) shift:
            // Δ = scale · u (1 − T²)/(1 + T u); T = h for tanh, 2h − 1 for sigmoid (whose 1 − T² is 4h(1 − h)).
            let (t, u, scale): (SIMD8<Float>, SIMD8<Float>, Float) = self == .tanh
                ? (h, VectorMath.tanhRelative(δ), 1) : (2 * h - 1, VectorMath.tanhRelative(0.5 * δ), 0.5)
            let denominator = 1 + t * u
            var d = scale * u * ((1 - t) * (1 + t)) / denominator
            if any(denominator .< 0.25) {
                let direct = (self == .tanh ? VectorMath.tanh(a + δ) : VectorMath.sigmoid(a + δ)) - h
                d.replace(with: direct, where: denominator .< 0.25)
            }
            return d
        case .relu, .positiveRectifier, .negativeRectifier:
            let after = a + δ
            var d = after.replacing(with: 0, where: after .< 0) - a.replacing(with: 0, where: a .< 0)
            d.replace(with: δ, where: (a .> 0) .& (after .> 0))
            return self == .negativeRectifier ? -d : d
        case .hardSigmoid:
            // Inside [0, 1] (its edges too, where a + δ may round back onto the edge) the change is δ
            // clamped to what the clip leaves, [−a, 1 − a]; outside, the difference as it stands.
            let after = a + δ
            func clip(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: x .< 0).replacing(with: 1, where: x .> 1) }
            let room = 1 - a
            let inside = δ.replacing(with: -a, where: δ .< -a).replacing(with: room, where: δ .> room)
            return (clip(after) - clip(a)).replacing(with: inside, where: (a .>= 0) .& (a .<= 1))
        case .identity: return δ
        case .mixedRectifier: preconditionFailure("a mixed layer's change depends on the unit")
        }
    }

    /// The derivative `f'(a)` of one unit (for tests and diagnostics, not the hot path).
    public func derivative(preActivation a: Float) -> Float {
        switch self {
        case .tanh: let t = VectorMath.tanh(a); return 1 - t * t
        case .sigmoid: let s = VectorMath.sigmoid(a); return s * (1 - s)
        case .relu, .positiveRectifier: return a > 0 ? 1 : 0
        case .negativeRectifier: return a > 0 ? -1 : 0
        case .mixedRectifier: preconditionFailure("a mixed layer's derivative depends on the unit; use multiplyByDerivative")
        case .identity: return 1
        case .hardSigmoid: return a > 0 && a < 1 ? 1 : 0
        }
    }

    /// `f(a)` of one unit.
    public func value(_ a: Float) -> Float {
        switch self {
        case .tanh: VectorMath.tanh(a)
        case .sigmoid: VectorMath.sigmoid(a)
        case .relu, .positiveRectifier: a < 0 ? 0 : a  // not max(0, a), which turns NaN into 0
        case .negativeRectifier: a < 0 ? 0 : -a
        case .mixedRectifier: preconditionFailure("a mixed layer's value depends on the unit; use apply")
        case .identity: a
        case .hardSigmoid: a < 0 ? 0 : (a > 1 ? 1 : a)
        }
    }

    /// Whether the activation is a rectifier of either kind (the units Kickback is defined for).
    public var isRectifier: Bool {
        switch self {
        case .relu, .positiveRectifier, .negativeRectifier, .mixedRectifier: true
        default: false
        }
    }

    /// `y[r, j] = f(x[r, j], j < positiveUnits)` over the rows in use.
    private static func mixed(_ x: Matrix, into y: inout Matrix, positiveUnits: Int, _ f: (Float, Bool) -> Float) {
        let columns = x.columns, rows = x.rows
        x.storage.withUnsafeBufferPointer { x in
            y.storage.withUnsafeMutableBufferPointer { y in
                for r in 0..<rows {
                    let base = r * columns
                    for j in 0..<columns { y[base + j] = f(x[base + j], j < positiveUnits) }
                }
            }
        }
    }

    /// `exp` costs some forty instructions per eight units, so a hidden layer's worth of tanh or
    /// sigmoid (a batch of 128 × 800) is already worth splitting across cores.
    private static let transcendentalChunk = 1 << 14

    private typealias MapOperands = (x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>)

    private static func mapOnCores(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                                   _ chunk: Parallel.ChunkKernel) {
        var operands: MapOperands = (x, y)
        withUnsafePointer(to: &operands) { Parallel.forEachChunk(count, minimumPerThread: transcendentalChunk, context: $0, chunk) }
    }

    private static let tanhChunk: Parallel.ChunkKernel = { context, lower, upper in
        let (x, y) = context.assumingMemoryBound(to: MapOperands.self).pointee
        if VectorKernels.tanh(x + lower, y + lower, upper - lower) { return }
        map(x + lower, y + lower, upper - lower, VectorMath.tanh)
    }

    private static let sigmoidChunk: Parallel.ChunkKernel = { context, lower, upper in
        let (x, y) = context.assumingMemoryBound(to: MapOperands.self).pointee
        if VectorKernels.sigmoid(x + lower, y + lower, upper - lower) { return }
        map(x + lower, y + lower, upper - lower, VectorMath.sigmoid)
    }

    @inline(__always)
    private static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                            _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= count {
            store8(f(load8(x + i)), y + i)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>()
            for t in 0..<(count - i) { tail[t] = x[i + t] }
            let out = f(tail)
            for t in 0..<(count - i) { y[i + t] = out[t] }
        }
    }

    @inline(__always)
    private static func scale(_ g: UnsafeMutablePointer<Float>, by x: UnsafePointer<Float>, _ count: Int,
                              _ derivative: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= count {
            store8(load8(g + i) * derivative(load8(x + i)), g + i)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>()
            for t in 0..<(count - i) { tail[t] = x[i + t] }
            let d = derivative(tail)
            for t in 0..<(count - i) { g[i + t] *= d[t] }
        }
    }
}
