/// The mean of a sample and the standard error of that mean (sample standard deviation / √n), over
/// its finite values: a diverged run's NaN or infinity is left out, not averaged in. The standard
/// error is NaN for fewer than two values, the mean for none.
public struct MeanAndStandardError: Sendable, Equatable {
    /// The mean of the finite values.
    public let mean: Double
    /// The standard error of the mean (NaN for fewer than two values).
    public let standardError: Double
    /// How many finite values there were.
    public let count: Int

    /// The statistics of the finite values among `values` (NaN and infinities are left out).
    public init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        count = finite.count
        mean = finite.isEmpty ? .nan : finite.reduce(0, +) / Double(count)
        guard count > 1 else {
            standardError = .nan
            return
        }
        let mean = self.mean
        let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
        standardError = (variance / Double(count)).squareRoot()
    }
}
