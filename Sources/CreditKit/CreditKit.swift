/// CreditKit: biologically plausible credit assignment, and how well each rule does it.
public enum CreditKit {
    public static let version = "0.1.0"
}
