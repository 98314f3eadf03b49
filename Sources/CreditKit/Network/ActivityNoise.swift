import Foundation

/// Noise in the hidden layers' activity while training: **spikes** — noisy, unbiased
/// realisations of rates (the appendix of "Backpropagation and the brain") — or **dropout**
/// (Srivastava et al. 2014), the regularizer spikes are compared with.
///
/// A rate `h = f(a)` becomes, per forward pass, a spike count over a window T at peak rate r,
/// scaled back to a rate: `ŝ = N/(rT)` with `N ~ Poisson(rT|h|)` (Poisson), or `N ~ Binomial(n, |h|)`,
/// `ŝ = N/n`, `n = round(rT)` (Bernoulli: n one-spike bins, which needs `|h| ≤ 1`); a negative rate
/// (tanh) spikes with its sign. So `E[ŝ] = h` and `Var[ŝ] = |h|/(rT)` (Poisson), `|h|(1 − |h|)/n`
/// (Bernoulli): the noise is set by r·T. Dropout keeps a unit with probability `1 − p` and scales
/// it by `1/(1 − p)`. Learning uses the rate's derivative `f'(a)` (straight-through; for dropout
/// times the unit's mask); the next layer and the Hebbian products see the noisy activity.
public struct ActivityNoise: Sendable, Codable, Equatable {
    /// What the noise is.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case bernoulli, poisson, dropout
    }

    /// Bernoulli or Poisson spikes, or dropout.
    public var kind: Kind
    /// Spikes: T, the counting window (seconds).
    public var window: Float
    /// Spikes: r, the peak rate (spikes per second at rate 1).
    public var maxRate: Float
    /// Dropout: the probability that a unit is silenced.
    public var dropProbability: Float
    /// Evaluate with the noise too (by default evaluation uses the noiseless rates).
    public var atEvaluation: Bool

    /// Spikes of `kind` counted over `window` at peak rate `maxRate` (r·T = 10 by default).
    public static func spikes(_ kind: Kind, window: Float = 0.1, maxRate: Float = 100, atEvaluation: Bool = false) -> ActivityNoise {
        ActivityNoise(kind: kind, window: window, maxRate: maxRate, dropProbability: 0, atEvaluation: atEvaluation)
    }

    /// Dropout of every hidden unit with probability `p`.
    public static func dropout(_ p: Float, atEvaluation: Bool = false) -> ActivityNoise {
        ActivityNoise(kind: .dropout, window: 0, maxRate: 0, dropProbability: p, atEvaluation: atEvaluation)
    }

    /// r·T: the expected count at rate 1.
    public var expectedCount: Float { maxRate * window }

    /// Checks the values against the hidden units. Errors name the field.
    public func validate(hiddenActivations: [Activation]) throws(ConfigurationError) {
        switch kind {
        case .bernoulli, .poisson:
            guard window > 0, window.isFinite else {
                throw .invalid(field: "noise.window", value: "\(window)", expected: "a positive counting window T")
            }
            guard maxRate > 0, maxRate.isFinite else {
                throw .invalid(field: "noise.maxRate", value: "\(maxRate)", expected: "a positive peak rate r")
            }
            if kind == .bernoulli {
                guard expectedCount >= 0.5 else {
                    throw .invalid(field: "noise.window", value: "\(window)", expected: "r·T ≥ 0.5: at least one Bernoulli bin")
                }
                if let unbounded = hiddenActivations.first(where: { ![.tanh, .sigmoid, .hardSigmoid].contains($0) }) {
                    throw .invalid(field: "noise", value: "bernoulli", expected: "rates within [−1, 1] for Bernoulli spikes "
                                       + "(tanh, sigmoid, hard-sigmoid), not \(unbounded.rawValue): use poisson")
                }
            }
        case .dropout:
            guard dropProbability >= 0, dropProbability < 1 else {
                throw .invalid(field: "noise.dropProbability", value: "\(dropProbability)", expected: "a dropout probability in [0, 1)")
            }
        }
    }

    /// Replaces the rows in use of `activity` (rates) by their noisy realisation.
    public func apply(to activity: inout Matrix, random: inout RandomSource) {
        let count = activity.rows * activity.columns
        activity.storage.withUnsafeMutableBufferPointer { h in
            switch kind {
            case .poisson:
                let scale = expectedCount
                for k in 0..<count {
                    let rate = h[k]
                    h[k] = Float(Self.poisson(Double(scale * abs(rate)), &random)) / scale * (rate < 0 ? -1 : 1)
                }
            case .bernoulli:
                let bins = max(1, Int(expectedCount.rounded()))
                for k in 0..<count {
                    let rate = h[k], p = min(abs(rate), 1)
                    var spikes = 0
                    for _ in 0..<bins where random.nextUnitFloat() < p { spikes += 1 }
                    h[k] = Float(spikes) / Float(bins) * (rate < 0 ? -1 : 1)
                }
            case .dropout:
                let keep = 1 - dropProbability, scale = 1 / keep
                for k in 0..<count { h[k] = random.nextUnitFloat() < keep ? h[k] * scale : 0 }
            }
        }
    }

    /// `g ← g ⊙ ∂ŝ/∂h` after the rate's derivative: 1 for spikes (straight-through), the unit's
    /// mask `/(1 − p)` for dropout (read from the noisy activity: 0 where dropped).
    func multiplyByNoiseDerivative(_ gradient: inout Matrix, noisyActivity: Matrix) {
        guard kind == .dropout else { return }
        let count = gradient.rows * gradient.columns, scale = 1 / (1 - dropProbability)
        gradient.storage.withUnsafeMutableBufferPointer { g in
            noisyActivity.storage.withUnsafeBufferPointer { h in
                for k in 0..<count { g[k] *= h[k] == 0 ? 0 : scale }
            }
        }
    }

    /// A Poisson draw of mean `λ`: Knuth's product of uniforms below 30, Hörmann's transformed
    /// rejection (PTRS, 1993) above.
    static func poisson(_ λ: Double, _ random: inout RandomSource) -> Int {
        if λ <= 0 { return 0 }
        if λ < 30 {
            let limit = Foundation.exp(-λ)
            var product = Double(random.nextUnitFloat())
            var k = 0
            while product > limit {
                k += 1
                product *= Double(random.nextUnitFloat())
            }
            return k
        }
        let root = λ.squareRoot(), logλ = Foundation.log(λ)
        let b = 0.931 + 2.53 * root, a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = Double(random.nextUnitFloat()) - 0.5, v = Double(random.nextUnitFloat())
            let us = 0.5 - abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + λ + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + Foundation.log(inverseAlpha) - Foundation.log(a / (us * us) + b) <= -λ + k * logλ - Foundation.lgamma(k + 1) {
                return Int(k)
            }
        }
    }
}
