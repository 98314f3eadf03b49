/// A seedable, reproducible pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// Every random draw in CreditKit takes one of these explicitly; there is no global random state.
/// The same seed gives the same sequence on every platform, bit for bit.
public struct RandomSource: RandomNumberGenerator, Sendable, Equatable, Codable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The generator seeded with `seed` (``init(seed:stream:)`` derives independent streams from one seed).
    public init(seed: UInt64) {
        var splitMix: UInt64 = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    /// An independent stream for a named purpose (e.g. epoch 7's data order), derived from a seed
    /// so that resuming a run at any epoch reproduces the uninterrupted run.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), with 24 random bits (every representable step of a Float in [0.5, 1)).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUnitFloat()
    }

    /// A standard normal draw (Box–Muller on 53-bit uniforms, computed in Double).
    public mutating func normal() -> Float {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53   // (0, 1]
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Fills `count` floats at `target` with standard normal draws: Marsaglia's polar method in
    /// single precision, two draws per accepted pair of 32-bit uniforms (node perturbation draws
    /// one per hidden unit per example, so this is on its per-batch path).
    public mutating func fillStandardNormal(_ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let bits = next()
            let u = Float(UInt32(truncatingIfNeeded: bits) >> 8) * 0x1p-23 - 1   // [−1, 1)
            let v = Float(UInt32(truncatingIfNeeded: bits >> 32) >> 8) * 0x1p-23 - 1
            let s = u * u + v * v
            guard s > 0, s < 1 else { continue }
            let factor = (-2 * Foundation.log(s) / s).squareRoot()
            target[i] = u * factor
            if i + 1 < count { target[i + 1] = v * factor }
            i += 2
        }
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates), into `indices`.
    public mutating func shuffle(_ indices: inout [Int]) {
        guard indices.count > 1 else { return }
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            indices.swapAt(i, j)
        }
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
