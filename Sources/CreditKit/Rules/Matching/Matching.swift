/// The "matching" rule (Rombouts et al. 2015; Martinolli et al. 2018): feedback `Bⁱ⁺¹` starts
/// random and then receives every change the optimizer makes to `(Wⁱ⁺¹)ᵀ`, so `B − Wᵀ` stays at
/// its initial value while both grow with learning — transport without symmetric initialization.
/// On a recurrent network the same holds for `B_out` and `B_rec`.
public struct MatchingLearner: FeedbackPathLearner {
    /// Every path's forward weight after the last step, to read the optimizer's change from.
    var previousWeights: [Matrix]
    let pathNames: [String]

    /// A learner for `model`'s paths, starting from its current weights.
    public init<Model: FeedbackPathModel>(model: Model) {
        pathNames = model.pathNames
        previousWeights = pathNames.indices.map(model.pathWeights)
    }

    /// `previousW2…`: the forward weights the feedback last followed.
    public var state: [NamedTensor] {
        get { zip(pathNames, previousWeights).map { NamedTensor("previousW" + $0, $1) } }
        set { for i in previousWeights.indices { previousWeights[i] = newValue[named: "previousW" + pathNames[i]] ?? previousWeights[i] } }
    }

    /// `B += W − W_previous` on every path.
    public mutating func follow<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: inout Model) {
        for i in feedback.indices {
            let weights = model.pathWeights(i)
            feedback[i].storage.withUnsafeMutableBufferPointer { b in
                previousWeights[i].storage.withUnsafeMutableBufferPointer { previous in
                    weights.storage.withUnsafeBufferPointer { w in
                        for k in 0..<weights.count {
                            b[k] += w[k] - previous[k]
                            previous[k] = w[k]
                        }
                    }
                }
            }
        }
    }
}

/// The matching rule on a feed-forward network.
public typealias MatchingFeedback = PathFeedbackRule<MatchingLearner>

/// The matching rule's settings (`--rule matching`): how the initial feedback is drawn.
public struct MatchingSettings: PathRuleSettings {
    /// How the initial feedback is drawn.
    public var feedback: FeedbackFamily

    /// Settings drawing the initial feedback from `feedback`.
    public init(feedback: FeedbackFamily = .xavier) { self.feedback = feedback }

    public init?(argument: String) {
        guard argument.lowercased() == "matching" else { return nil }
        self.init()
    }

    public static let identifier = "matching"
    public static let argumentHelp = "matching"
    public var description: String { "matching" }

    public static var options: [RuleOption<Self>] {
        [.feedbackFamily(\.feedback, help: "How the initial feedback is drawn: \(FeedbackFamily.helpText) (default xavier: like the forward weight it stands for).")]
    }

    public func makeLearner<Model: FeedbackPathModel>(for model: Model) -> MatchingLearner { MatchingLearner(model: model) }
}

extension RuleSpec {
    /// The matching rule with initial feedback drawn like the forward weights (Xavier).
    public static let matching = RuleSpec(MatchingSettings())
}
