import Testing
@testable import CreditKit

@Suite("Matrix products")
struct GEMMTests {
    /// `α·op(A)·op(B) + β·C` by the definition, in Double.
    static func reference(_ a: Matrix, _ ta: Transpose, _ b: Matrix, _ tb: Transpose, _ c: Matrix, alpha: Float, beta: Float) -> [Double] {
        let opA = ta == .none ? a : a.transposed, opB = tb == .none ? b : b.transposed
        var out: [Double] = []
        for i in 0..<opA.rows {
            for j in 0..<opB.columns {
                var sum = 0.0
                for p in 0..<opA.columns { sum += Double(opA[i, p]) * Double(opB[p, j]) }
                out.append(Double(alpha) * sum + Double(beta) * Double(c[i, j]))
            }
        }
        return out
    }

    static let transposes: [(Transpose, Transpose)] = [(.none, .none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)]
    // Odd sizes exercise every remainder path of the blocked kernel (4-row tiles, 8-wide vectors).
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (9, 17, 13), (33, 270, 130), (4, 8, 0)]

    @Test(arguments: 0..<4)
    func portableKernelMatchesTheDefinition(_ transposeCase: Int) {
        let (ta, tb) = Self.transposes[transposeCase]
        var random = RandomSource(seed: UInt64(transposeCase))
        for s in Self.shapes {
            let a = ta == .none ? randomMatrix(s.m, s.k, &random) : randomMatrix(s.k, s.m, &random)
            let b = tb == .none ? randomMatrix(s.k, s.n, &random) : randomMatrix(s.n, s.k, &random)
            for (alpha, beta) in [(Float(1), Float(0)), (-0.5, 1), (2, 0.75)] {
                var c = randomMatrix(s.m, s.n, &random)
                let expected = Self.reference(a, ta, b, tb, c, alpha: alpha, beta: beta)
                LinearAlgebraBackend.portable.gemm(a, ta, b, tb, into: &c, alpha: alpha, beta: beta)
                #expect(relativeError(c.doubles, expected) < 1e-5, "\(ta)/\(tb) \(s) α=\(alpha) β=\(beta)")
            }
        }
    }

    /// Unless told otherwise (`CREDITKIT_BLAS`), the loader finds a BLAS (`.ci/run` installs
    /// OpenBLAS), so that the comparison below runs rather than skips.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CREDITKIT_BLAS"] == nil))
    func aBLASIsLoadedUnlessDisabled() {
        #expect(!LinearAlgebraBackend.shared.isPortable, "no BLAS library loaded: \(LinearAlgebraBackend.shared.notes)")
    }

    /// Reported as skipped where no BLAS is loaded (`CREDITKIT_BLAS=none`): there the shared
    /// backend *is* the portable kernel, and the comparison would hold trivially.
    @Test(.enabled(if: !LinearAlgebraBackend.shared.isPortable, "no BLAS library is loaded"), arguments: 0..<4)
    func blasAndPortableKernelsAgree(_ transposeCase: Int) throws {
        let blas = LinearAlgebraBackend.shared
        let (ta, tb) = Self.transposes[transposeCase]
        var random = RandomSource(seed: 10 + UInt64(transposeCase))
        for s in Self.shapes + [(128, 800, 784)] {
            let a = ta == .none ? randomMatrix(s.m, s.k, &random) : randomMatrix(s.k, s.m, &random)
            let b = tb == .none ? randomMatrix(s.k, s.n, &random) : randomMatrix(s.n, s.k, &random)
            var viaBLAS = randomMatrix(s.m, s.n, &random)
            var viaPortable = viaBLAS
            blas.gemm(a, ta, b, tb, into: &viaBLAS, alpha: 0.5, beta: 0.25)
            LinearAlgebraBackend.portable.gemm(a, ta, b, tb, into: &viaPortable, alpha: 0.5, beta: 0.25)
            #expect(relativeError(viaBLAS.doubles, viaPortable.doubles) < 1e-5, "\(ta)/\(tb) \(s)")
        }
    }

    @Test func productsHonourRowsInUseAfterResizing() {
        var random = RandomSource(seed: 3)
        var a = randomMatrix(8, 5, &random)
        a.resizeRows(3)
        let b = randomMatrix(5, 4, &random)
        var c = Matrix(rows: 3, columns: 4)
        LinearAlgebraBackend.portable.gemm(a, .none, b, .none, into: &c)
        let expected = Self.reference(Matrix(rows: 3, columns: 5, elements: Array(a.elements)), .none, b, .none, Matrix(rows: 3, columns: 4), alpha: 1, beta: 0)
        #expect(relativeError(c.doubles, expected) < 1e-6)
    }
}

@Suite("Vectorized elementary functions")
struct VectorMathTests {
    @Test func expIsAccurateAcrossItsRange() {
        var worst = 0.0
        var x: Float = -80
        while x < 80 {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(VectorMath.exp(x)) - exact) / exact)
            x += 0.0137
        }
        #expect(worst < 2e-7 * 4, "worst relative error \(worst)")
    }

    @Test func tanhAndSigmoidAreAccurateAndSaturate() {
        var worst = 0.0
        var x: Float = -30
        while x < 30 {
            worst = max(worst, abs(Double(VectorMath.tanh(x)) - Foundation.tanh(Double(x))))
            worst = max(worst, abs(Double(VectorMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-Double(x)))))
            x += 0.0071
        }
        #expect(worst < 1e-6, "worst absolute error \(worst)")
        #expect(VectorMath.tanh(200) == 1 && VectorMath.tanh(-200) == -1)
        #expect(VectorMath.sigmoid(-200) < 1e-30 && VectorMath.sigmoid(200) == 1)
        #expect(!VectorMath.exp(-1000).isNaN && !VectorMath.exp(1000).isNaN)
    }

    /// The relative form keeps its digits where the plain one cancels: `tanh(10⁻⁹)` is 10⁻⁹, not 0.
    @Test func tanhRelativeIsAccurateRelativeToItsValue() {
        var worst = 0.0
        for magnitude in stride(from: -12.0, through: 1.2, by: 0.01) {
            for sign in [1.0, -1.0] {
                let x = Float(sign * Foundation.pow(10, magnitude))
                let exact = Foundation.tanh(Double(x))
                worst = max(worst, abs(Double(VectorMath.tanhRelative(SIMD8(repeating: x))[0]) - exact) / abs(exact))
            }
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
        #expect(VectorMath.tanh(1e-9) == 0, "the plain form cancels (if it no longer does, tanhRelative may be unnecessary)")
    }
}

import Foundation
