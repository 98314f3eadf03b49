import Testing
@testable import CreditKit

@Suite("Seeded random numbers")
struct RandomSourceTests {
    @Test func theSameSeedGivesTheSameSequence() {
        var a = RandomSource(seed: 2024), b = RandomSource(seed: 2024), c = RandomSource(seed: 2025)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(first != (0..<100).map { _ in c.next() })
        #expect(RandomSource(seed: 1, stream: 2) != RandomSource(seed: 1, stream: 3))
    }

    @Test func normalDrawsHaveUnitMomentsAndUniformStaysInRange() {
        var random = RandomSource(seed: 7)
        let n = 200_000
        let draws = (0..<n).map { _ in Double(random.normal()) }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.015)
        let uniforms = (0..<10_000).map { _ in random.uniform(-0.5, 0.5) }
        #expect(uniforms.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
    }

    @Test func shuffleIsAPermutation() {
        var random = RandomSource(seed: 9)
        var indices = Array(0..<1000)
        random.shuffle(&indices)
        #expect(indices != Array(0..<1000))
        #expect(indices.sorted() == Array(0..<1000))
    }
}
