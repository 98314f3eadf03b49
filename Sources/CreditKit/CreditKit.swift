/// CreditKit: biologically plausible credit assignment, and how well each rule does it.
public enum CreditKit {
    /// The library's version, recorded in every run's `config.json`.
    public static let version = "0.1.0"
}
