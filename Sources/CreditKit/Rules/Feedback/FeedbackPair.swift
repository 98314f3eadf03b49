/// A feedback matrix that stands where a forward weight's transpose would: `feedback` (stored as
/// `Bᵀ`) has the shape of `Wˡᵃʸᵉʳ⁺¹`, so the two can be compared entry by entry.
public struct FeedbackPair: Sendable {
    /// The hidden layer (0-based) the feedback reaches; its forward counterpart is `layers[layer + 1].weights`.
    public var layer: Int
    /// Where the feedback comes from: `above`, `direct`, or an RNN's `readout` and `recurrent`.
    public var kind: String
    /// `B`, stored like the forward weight it stands for.
    public var feedback: Matrix
}
