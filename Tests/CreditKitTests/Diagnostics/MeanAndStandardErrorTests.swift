import Testing
@testable import CreditKit

@Suite("Mean and standard error")
struct MeanAndStandardErrorTests {
    @Test func matchesTheTextbookFormula() {
        // 1, 2, 3, 4: mean 2.5, sample variance 5/3, standard error √(5/3 / 4).
        let summary = MeanAndStandardError([1, 2, 3, 4])
        #expect(summary.mean == 2.5)
        #expect(abs(summary.standardError - (5.0 / 12).squareRoot()) < 1e-12)
        #expect(summary.count == 4)
    }

    @Test func leavesOutDivergedValuesAndNeedsTwoForASpread() {
        let diverged = MeanAndStandardError([1, .nan, 3, .infinity])
        #expect(diverged.mean == 2 && diverged.count == 2)
        #expect(abs(diverged.standardError - 1) < 1e-12)
        #expect(MeanAndStandardError([7]).mean == 7 && MeanAndStandardError([7]).standardError.isNaN)
        #expect(MeanAndStandardError([.nan]).mean.isNaN && MeanAndStandardError([]).count == 0)
    }
}
