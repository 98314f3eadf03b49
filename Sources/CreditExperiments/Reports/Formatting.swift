import Foundation

/// How results read: a fraction as a percentage with two decimals, `—` for NaN.
public func percent(_ fraction: Double) -> String {
    fraction.isNaN ? "—" : String(format: "%.2f%%", 100 * fraction)
}

/// A count with thousands separators.
public func grouped(_ value: Double) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.maximumFractionDigits = 0
    return formatter.string(from: NSNumber(value: value.rounded())) ?? String(Int(value))
}

extension String {
    /// The string right-aligned in `width` columns.
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
