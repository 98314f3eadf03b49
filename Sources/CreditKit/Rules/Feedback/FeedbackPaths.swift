/// A model whose credit travels back through forward weights: each *path* is a forward weight `W`
/// (stored `(outputs, inputs)`) in whose transpose's place a rule may put a feedback matrix `B` of
/// `W`'s shape. A feed-forward network's paths are its layers 2…L; a recurrent network's are its
/// readout and recurrent weights. Its other weights (layer 1; the RNN's input weights) carry no
/// credit back.
///
/// Rules that learn their feedback from the forward weights (matching, Kolen–Pollack, weight
/// mirrors) act on this protocol, so each is written once and works through time as through depth.
public protocol FeedbackPathModel {
    /// The paths' names, for checkpoint tensors (`2`, `3`, … by layer; `out`, `rec` for an RNN).
    var pathNames: [String] { get }
    /// The forward weight of path `i`.
    func pathWeights(_ i: Int) -> Matrix
    /// Changes the forward weight of path `i` in place.
    mutating func updatePathWeights(_ i: Int, _ body: (inout Matrix) -> Void)
    /// The names of the weights that carry no credit back (`1`; `in`).
    var otherWeightNames: [String] { get }
    /// Other weight `j`.
    func otherWeights(_ j: Int) -> Matrix
    /// Changes other weight `j` in place.
    mutating func updateOtherWeights(_ j: Int, _ body: (inout Matrix) -> Void)
}

/// How a rule learns the feedback matrices of a ``FeedbackPathModel``'s paths. The feedback
/// itself belongs to whoever transports credit through it (the rule on a feed-forward network, the
/// trainer of a recurrent one) and is handed in, one matrix per path, shaped like its `W`.
public protocol FeedbackPathLearner: Sendable {
    /// What the learner keeps besides the feedback, by name.
    var state: [NamedTensor] { get set }

    /// Before the optimizer's step, on the weights the batch was trained with (weight mirrors'
    /// mirror phase).
    mutating func learn<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: Model, backend: LinearAlgebraBackend,
                                                  random: inout RandomSource)

    /// After the optimizer's step (matching and Kolen–Pollack follow the forward weights' change).
    mutating func follow<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: inout Model)

    /// Before every epoch (1-based).
    mutating func epochWillBegin(_ epoch: Int)
}

extension FeedbackPathLearner {
    public var state: [NamedTensor] {
        get { [] }
        set {}
    }

    public mutating func learn<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: Model, backend: LinearAlgebraBackend,
                                                         random: inout RandomSource) {}

    public mutating func follow<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: inout Model) {}

    public mutating func epochWillBegin(_ epoch: Int) {}
}

/// Feedback that never learns (feedback alignment's fixed random matrices).
public struct FixedFeedbackLearner: FeedbackPathLearner {
    /// The learner of fixed feedback.
    public init() {}
}

extension Network: FeedbackPathModel {
    public var pathNames: [String] { (0..<max(depth - 1, 0)).map { String($0 + 2) } }
    public func pathWeights(_ i: Int) -> Matrix { layers[i + 1].weights }
    public mutating func updatePathWeights(_ i: Int, _ body: (inout Matrix) -> Void) { body(&layers[i + 1].weights) }
    public var otherWeightNames: [String] { ["1"] }
    public func otherWeights(_ j: Int) -> Matrix { layers[0].weights }
    public mutating func updateOtherWeights(_ j: Int, _ body: (inout Matrix) -> Void) { body(&layers[0].weights) }
}

extension RecurrentNetwork: FeedbackPathModel {
    public var pathNames: [String] { ["out", "rec"] }
    public func pathWeights(_ i: Int) -> Matrix { i == 0 ? readoutWeights : recurrentWeights }
    public mutating func updatePathWeights(_ i: Int, _ body: (inout Matrix) -> Void) {
        if i == 0 { body(&readoutWeights) } else { body(&recurrentWeights) }
    }
    public var otherWeightNames: [String] { ["in"] }
    public func otherWeights(_ j: Int) -> Matrix { inputWeights }
    public mutating func updateOtherWeights(_ j: Int, _ body: (inout Matrix) -> Void) { body(&inputWeights) }
}

/// A feed-forward rule made of feedback matrices on the paths and a learner for them: credit
/// travels layer-wise through the matrices (``LayerwiseFeedback``), and the learner learns them.
/// Matching, Kolen–Pollack and weight mirrors are this, each with its own learner.
public struct PathFeedbackRule<Learner: FeedbackPathLearner>: LearningRule {
    /// The rule's name (`fa`, `matching`, `kp`, `wm`).
    public let name: String
    /// `(Bˡ⁺²)ᵀ`, shaped like `layers[ℓ + 1].weights`.
    public internal(set) var feedback: [Matrix]
    /// How the feedback learns.
    public internal(set) var learner: Learner

    /// A rule named `name` transporting through `feedback` (one matrix per path of the network).
    public init(name: String, feedback: [Matrix], learner: Learner) {
        self.name = name
        self.feedback = feedback
        self.learner = learner
    }

    /// `B2…` (stored shaped like `Wⁱ`) and the learner's own state.
    public var state: [NamedTensor] {
        get { LayerwiseFeedback.named(feedback, "B") + learner.state }
        set {
            LayerwiseFeedback.restore(&feedback, "B", from: newValue)
            learner.state = newValue
        }
    }

    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(feedback) }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        LayerwiseFeedback.assignCredit(through: feedback, network: network, workspace: &workspace, backend: backend)
    }

    public mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                       random: inout RandomSource) {
        learner.learn(&feedback, model: network, backend: backend, random: &random)
    }

    public mutating func forwardWeightsDidChange(_ network: inout Network) {
        learner.follow(&feedback, model: &network)
    }

    public mutating func epochWillBegin(_ epoch: Int) {
        learner.epochWillBegin(epoch)
    }
}

extension FeedbackFamily {
    /// One matrix per path of `model`, each drawn like `transposedMatrix` for that path's `W`.
    public func pathFeedback<Model: FeedbackPathModel>(for model: Model, random: inout RandomSource) -> [Matrix] {
        model.pathNames.indices.map { i in
            let w = model.pathWeights(i)
            return transposedMatrix(sources: w.rows, targets: w.columns, random: &random)
        }
    }
}

/// The settings of a rule made of feedback on the paths and a ``FeedbackPathLearner`` (matching,
/// Kolen–Pollack, weight mirrors): the rule for a feed-forward network and its form through time
/// both come from the learner.
public protocol PathRuleSettings: RuleSettings {
    associatedtype Learner: FeedbackPathLearner
    /// How the initial feedback is drawn.
    var feedback: FeedbackFamily { get }
    /// The learner for `model`'s paths.
    func makeLearner<Model: FeedbackPathModel>(for model: Model) -> Learner
}

extension PathRuleSettings {
    /// The learner and its feedback on `network`, transporting layer-wise.
    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        PathFeedbackRule(name: description, feedback: feedback.pathFeedback(for: network, random: &random), learner: makeLearner(for: network))
    }

    /// The learner and its feedback on any model's paths.
    public func makePathLearning<Model: FeedbackPathModel>(for model: Model, random: inout RandomSource)
        -> (feedback: [Matrix], learner: any FeedbackPathLearner)? {
        (feedback.pathFeedback(for: model, random: &random), makeLearner(for: model))
    }
}
