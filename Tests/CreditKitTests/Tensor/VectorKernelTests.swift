import Foundation
import Testing
@testable import CreditKit

/// The AVX-512 and AVX2 twins return the portable Swift kernels' bits, lane for lane, on every
/// level this CPU has (a CPU without one skips it; the portable path itself runs in every test
/// of the suite under `CREDITKIT_VECTOR_KERNELS=portable`, as `.ci/run`'s second pass does).
@Suite("Vector kernels: AVX-512 and AVX2 twins of the portable ones")
struct VectorKernelTests {
    /// The twins' levels this CPU has (none on an ARM or SSE-only machine, where the suite's
    /// parameterized tests run no cases instead of failing).
    static let levels = [CPUFeatures.VectorClass.avx2, .avx512].filter { $0 <= CPUFeatures.current().vectorClass }

    /// Values across exp's range and past it, the clamps' edges, signed zeros, subnormals,
    /// infinities and NaN; an odd count, so that every kernel runs its tail.
    static let inputs: [Float] = {
        var values: [Float] = [0, -0, Float.leastNormalMagnitude / 3, -Float.leastNonzeroMagnitude, 1e-9, -1e-9, 44.15, 44.16, -43.65, -43.66, 88.3, 88.31, -87.3, -87.31,
                               1000, -1000, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        var random = RandomSource(seed: 11)
        for _ in 0..<1000 { values.append(random.uniform(-12, 12)) }
        for _ in 0..<200 { values.append(random.uniform(-100, 100)) }
        return values + [0.25, -0.25, 3]  // 1224 values: 76 blocks of 16 and 8 over
    }()

    /// The first few indices where two arrays' bits differ (a short failure message, not two arrays).
    static func mismatches(_ a: [Float], _ b: [Float]) -> [Int] {
        precondition(a.count == b.count)
        return Array(a.indices.filter { a[$0].bitPattern != b[$0].bitPattern }.prefix(5))
    }

    static func applied(_ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Bool, to x: [Float]) -> [Float] {
        var y = [Float](repeating: -7, count: x.count)
        let ran = x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { kernel(x.baseAddress!, $0.baseAddress!, x.count) } }
        #expect(ran, "the level did not run its kernel")
        return y
    }

    @Test(arguments: levels)
    func tanhAndSigmoidMatchThePortableBits(level: CPUFeatures.VectorClass) {
        let x = Self.inputs
        let tanh = Self.applied({ VectorKernels.tanh($0, $1, $2, level: level) }, to: x)
        let sigmoid = Self.applied({ VectorKernels.sigmoid($0, $1, $2, level: level) }, to: x)
        #expect(Self.mismatches(tanh, x.map { VectorMath.tanh($0) }) == [])
        #expect(Self.mismatches(sigmoid, x.map { VectorMath.sigmoid($0) }) == [])
        // Short counts: every tail length, and a kernel that writes past its count would show here.
        for count in 1..<20 {
            let short = Array(x[100..<(100 + count)])
            #expect(Self.mismatches(Self.applied({ VectorKernels.tanh($0, $1, $2, level: level) }, to: short),
                    short.map { VectorMath.tanh($0) }) == [])
        }
    }

    @Test(arguments: levels)
    func velocityAndSlopesMatchThePortableBits(level: CPUFeatures.VectorClass) {
        var random = RandomSource(seed: 3)
        let count = 1037
        let (p0, v0) = ((0..<count).map { _ in random.uniform(-1, 1) }, (0..<count).map { _ in random.uniform(-0.01, 0.01) })
        var (p, v) = (p0, v0)
        let ran = p.withUnsafeMutableBufferPointer { p in
            v.withUnsafeMutableBufferPointer { VectorKernels.addVelocityAndDecay(p.baseAddress!, $0.baseAddress!, momentum: 0.9, count, level: level) }
        }
        #expect(ran)
        #expect(Self.mismatches(p, zip(p0, v0).map { $0 + $1 }) == [])
        #expect(Self.mismatches(v, v0.map { 0.9 * $0 }) == [])

        let h = Self.inputs.map { VectorMath.tanh($0) }
        for activation in [Activation.tanh, .sigmoid] {
            var g = p0 + p0[..<(h.count - count)]
            let expected = zip(g, h).map { g, h in activation == .tanh ? g * (1 - h * h) : g * (h * (1 - h)) }
            let ran = g.withUnsafeMutableBufferPointer { g in
                h.withUnsafeBufferPointer { VectorKernels.scaleBySlope(of: activation, g.baseAddress!, activity: $0.baseAddress!, g.count, level: level) }
            }
            #expect(ran)
            #expect(Self.mismatches(g, expected) == [], "\(activation)")
        }
        let relu = p.withUnsafeMutableBufferPointer { VectorKernels.scaleBySlope(of: .relu, $0.baseAddress!, activity: h, 8, level: level) }
        #expect(!relu, "only tanh and sigmoid have twins")
    }

    @Test(arguments: levels)
    func rowSumsAndByteFeaturesMatchThePortableBits(level: CPUFeatures.VectorClass) {
        var random = RandomSource(seed: 5)
        for (rows, columns) in [(128, 800), (3, 7), (5, 131), (1, 16)] {
            let x = (0..<(rows * columns)).map { _ in random.uniform(-1, 1) }
            var expected = [Float](repeating: 0, count: columns)
            for r in 0..<rows { for c in 0..<columns { expected[c] += x[r * columns + c] } }
            expected = expected.map { $0 * 0.0078125 }
            var sums = [Float](repeating: .nan, count: columns + 1)
            let ran = x.withUnsafeBufferPointer { x in
                sums.withUnsafeMutableBufferPointer { VectorKernels.sumRows(x.baseAddress!, rows: rows, columns: columns, scale: 0.0078125, into: $0.baseAddress!, level: level) }
            }
            #expect(ran)
            #expect(Self.mismatches(Array(sums[..<columns]), expected) == [], "\(rows)×\(columns)")
            #expect(sums[columns].isNaN, "wrote past the row")
        }

        let bytes = (0..<789).map { UInt8($0 * 37 % 256) }
        let gain = (0..<789).map { _ in random.uniform(0.5, 2) }, offset = (0..<789).map { _ in random.uniform(-1, 1) }
        for standardized in [false, true] {
            var y = [Float](repeating: .nan, count: 790)
            let ran = bytes.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    gain.withUnsafeBufferPointer { g in
                        offset.withUnsafeBufferPointer { o in
                            VectorKernels.bytesToFloats(b.baseAddress!, y.baseAddress!, 789, scale: 1.0 / 255, gain: standardized ? g.baseAddress : nil,
                                                        offset: standardized ? o.baseAddress : nil, level: level)
                        }
                    }
                }
            }
            #expect(ran)
            let expected = bytes.indices.map { i in
                standardized ? (Float(bytes[i]) * (1.0 / 255)) * gain[i] + offset[i] : Float(bytes[i]) * (1.0 / 255)
            }
            #expect(Self.mismatches(Array(y[..<789]), expected) == [], "standardized: \(standardized)")
            #expect(y[789].isNaN, "wrote past the example")
        }
    }

    /// NGRAD's change of activity, over shifts from 10⁻⁹ to 15 and activities near both
    /// saturations, where the quotient's denominator falls below 1/4 and the difference stands in.
    @Test(arguments: levels)
    func activityChangesMatchThePortableBits(level: CPUFeatures.VectorClass) {
        var random = RandomSource(seed: 13)
        let count = 2003
        let a = (0..<count).map { i in i % 7 == 0 ? random.uniform(-9, 9) : random.uniform(-3, 3) }
        let shift = (0..<count).map { i -> Float in
            let magnitude = Float(Foundation.pow(10, Double(random.uniform(-9, 1.2))))
            return (i % 2 == 0 ? 1 : -1) * magnitude
        }
        for activation in [Activation.tanh, .sigmoid] {
            let h = a.map { activation.value($0) }
            var expected = [Float](repeating: 0, count: count)
            for i in stride(from: 0, to: count, by: 8) {
                var (av, hv, sv) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                for t in 0..<min(8, count - i) { (av[t], hv[t], sv[t]) = (a[i + t], h[i + t], shift[i + t]) }
                let d = activation.change(av, hv, sv)
                for t in 0..<min(8, count - i) { expected[i + t] = d[t] }
            }
            var change = [Float](repeating: .nan, count: count + 1)
            let ran = change.withUnsafeMutableBufferPointer { out in
                VectorKernels.change(of: activation, preActivation: a, activity: h, shift: shift, into: out.baseAddress!, count, level: level)
            }
            #expect(ran)
            #expect(Self.mismatches(Array(change[..<count]), expected) == [], "\(activation)")
            #expect(change[count].isNaN, "wrote past the end")
            let saturated = zip(h, shift).filter { h, δ in
                activation == .tanh ? 1 + h * VectorMath.tanh(δ) < 0.25 : 1 + (2 * h - 1) * VectorMath.tanh(δ / 2) < 0.25
            }.count
            #expect(saturated > 0, "no lane took the direct difference")
        }
    }

    @Test(arguments: levels)
    func adamMatchesThePortableBits(level: CPUFeatures.VectorClass) {
        var random = RandomSource(seed: 9)
        let count = 1045
        let g = (0..<count).map { _ in random.uniform(-1, 1) * (random.uniform(0, 1) < 0.1 ? 1e-6 : 0.05) }
        var (p, m, v) = ((0..<count).map { _ in random.uniform(-1, 1) }, (0..<count).map { _ in random.uniform(-0.01, 0.01) },
                         (0..<count).map { _ in random.uniform(0, 1e-4) })
        let (b1, b2, eps, stepSize): (Float, Float, Float, Float) = (0.9, 0.999, 1e-8, 0.00123)
        let expectedM = zip(m, g).map { b1 * $0 + (1 - b1) * $1 }
        let expectedV = zip(v, g).map { b2 * $0 + (1 - b2) * $1 * $1 }
        let expectedP = p.indices.map { p[$0] - stepSize * expectedM[$0] / (expectedV[$0].squareRoot() + eps) }
        let ran = p.withUnsafeMutableBufferPointer { p in
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    VectorKernels.adam(p.baseAddress!, gradient: g, m: m.baseAddress!, v: v.baseAddress!, count, b1: b1, c1: 1 - b1,
                                       b2: b2, c2: 1 - b2, stepSize: stepSize, epsilon: eps, level: level)
                }
            }
        }
        #expect(ran)
        #expect(Self.mismatches(m, expectedM) == [])
        #expect(Self.mismatches(v, expectedV) == [])
        #expect(Self.mismatches(p, expectedP) == [])
    }

    @Test func theLevelIsChosenFromTheRequestAndCappedByTheCPU() throws {
        #expect(try VectorKernels.select(request: nil, available: .avx2) == .avx2)
        #expect(try VectorKernels.select(request: "auto", available: .avx512) == .avx512)
        #expect(try VectorKernels.select(request: "portable", available: .avx512) == .baseline)
        #expect(try VectorKernels.select(request: "AVX2", available: .avx512) == .avx2)
        #expect(try VectorKernels.select(request: "avx512", available: .avx2) == .avx2, "never wider than the CPU")
        #expect(throws: VectorKernels.UnknownLevel.self) { try VectorKernels.select(request: "sse9", available: .avx2) }
        let ran = withUnsafeTemporaryAllocation(of: Float.self, capacity: 1) { VectorKernels.tanh([1], $0.baseAddress!, 1, level: .baseline) }
        #expect(!ran, "the portable level runs in Swift")
    }
}
