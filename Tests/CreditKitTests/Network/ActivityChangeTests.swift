import Foundation
import Testing
@testable import CreditKit

/// `Activation.change`: `f(a + δ) − f(a)` to a relative accuracy that the subtraction of two Float
/// activities cannot give when δ is far below the activity's last digit (NGRAD late in training).
@Suite("Activity changes")
struct ActivityChangeTests {
    /// `f(a + δ) − f(a)` in Double, unit `column` of a layer whose first `positiveUnits` are positive.
    static func exactChange(_ activation: Activation, _ a: Double, _ δ: Double, column: Int, positiveUnits: Int) -> Double {
        func f(_ x: Double) -> Double {
            switch activation {
            case .tanh: Foundation.tanh(x)
            case .sigmoid: 1 / (1 + Foundation.exp(-x))
            case .relu, .positiveRectifier: max(x, 0)
            case .negativeRectifier: -max(x, 0)
            case .mixedRectifier: column < positiveUnits ? max(x, 0) : -max(x, 0)
            case .identity: x
            case .hardSigmoid: min(max(x, 0), 1)
            }
        }
        return f(a + δ) - f(a)
    }

    @Test(arguments: Activation.allCases)
    func theChangeKeepsItsDigitsForTinyAndLargeShifts(_ activation: Activation) {
        let shifts: [Float] = [1e-9, -3e-8, 1e-6, -1e-4, 1e-3, 0.3, -2, 15, -15]
        let values: [Float] = [-3, -1.1, -0.4, -1e-3, 0, 2e-3, 0.35, 0.5, 0.99, 1, 1.7, 3]
        let columns = 4, positiveUnits = 2
        let rows = shifts.count * values.count
        var a = Matrix(rows: rows, columns: columns), δ = a
        for r in 0..<rows {
            for c in 0..<columns {
                a[r, c] = values[r % values.count] * (c % 2 == 0 ? 1 : -1)
                δ[r, c] = shifts[r / values.count] * (c < 2 ? 1 : -1)
            }
        }
        var h = a, change = a
        activation.apply(a, into: &h, positiveUnits: positiveUnits)
        activation.change(preActivation: a, activity: h, shift: δ, into: &change, positiveUnits: positiveUnits)
        var worst = 0.0, worstAt = ""
        for r in 0..<rows {
            for c in 0..<columns {
                let exact = Self.exactChange(activation, Double(a[r, c]), Double(δ[r, c]), column: c, positiveUnits: positiveUnits)
                // Relative to the change, but no finer than the Float activity's own rounding at large shifts.
                let tolerance = 1e-4 * abs(exact) + 2e-6 * min(1, Double(abs(δ[r, c])))
                let miss = abs(Double(change[r, c]) - exact) / tolerance
                if miss > worst { (worst, worstAt) = (miss, "a \(a[r, c]), δ \(δ[r, c]): \(change[r, c]) against \(exact)") }
            }
        }
        #expect(worst <= 1, "\(activation.rawValue): \(worstAt)")
    }

    /// What the subtraction gives instead, so that the test above is seen to test something.
    @Test func subtractingTwoActivitiesLosesATinyChange() {
        let a = Matrix(rows: 1, columns: 8) { _, c in Float(c) * 0.3 - 1 }
        let δ = Matrix(rows: 1, columns: 8) { _, _ in 1e-9 }
        var h = a, shifted = a, change = a
        Activation.tanh.apply(a, into: &h)
        shifted.add(δ, scaledBy: 1)
        Activation.tanh.apply(shifted, into: &change)
        #expect(zip(change.elements, h.elements).allSatisfy { $0 == $1 })
        Activation.tanh.change(preActivation: a, activity: h, shift: δ, into: &change)
        #expect(change.elements.allSatisfy { $0 > 0 })
    }
}
