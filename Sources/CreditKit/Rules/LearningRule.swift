/// A credit-assignment rule: how each hidden layer's credit signal `δaⁱ` is computed.
///
/// Every rule in CreditKit shares the same shape, which is Theorem 1 of the Kickback paper and
/// equation (4) of the general-feedback paper: a network is a set of *local learners* glued
/// together by error signals. Concretely, one training step is
///
/// 1. the shared forward pass fills `aⁱ` and `hⁱ` (``Network/forward(_:backend:)``);
/// 2. the loss writes the output error `e = ∂L/∂aᴸ` into `credits[L−1]`;
/// 3. **the rule** fills `credits[ℓ]` = `δaⁱ` for every hidden layer (this protocol);
/// 4. the shared local update forms `ΔWⁱ = −η δaⁱ (hⁱ⁻¹)ᵀ / batch`, `Δbⁱ = −η mean(δaⁱ)`
///    (``LocalUpdate``) and the shared optimizer applies it.
///
/// ``TrainingStep`` runs these four in order; a loop of one's own can call it batch by batch.
///
/// Backprop transports `e` down through `(Wⁱ⁺¹)ᵀ`; feedback alignment through fixed random `Bⁱ⁺¹`;
/// DFA straight from `e` through `Bⁱ`; node perturbation through `Bⁱ⁺¹` it learns from noise. Each
/// is one type conforming to this protocol, owning its feedback weights; nothing else changes.
public protocol LearningRule: Sendable {
    /// The name used on the command line (`--rule`).
    var name: String { get }

    /// Fills `workspace.credits[ℓ]` for ℓ = 0 … L−2 from the forward state and the output error
    /// in `workspace.credits[L−1]`. It may also change the output error (e.g. Kickback).
    /// Rules that draw random numbers per batch use `random`, which the trainer derives from the
    /// run's seed and the epoch, so a resumed run repeats the uninterrupted one exactly.
    mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                               random: inout RandomSource)

    /// Learns the rule's feedback weights from the batch just assigned credit (node perturbation's
    /// noisy pass and least-squares step). Called after ``assignCredit(network:workspace:backend:random:)`` and before the optimizer
    /// changes the forward weights, so a second forward pass sees the weights of the first.
    mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                random: inout RandomSource)

    /// Called after the optimizer changed the forward weights (the "matching" rule copies the change).
    /// A rule may act on the forward weights here too (Kolen–Pollack decays `W` and `B` alike);
    /// the step runs it after the optimizer and the weight-ball projection.
    mutating func forwardWeightsDidChange(_ network: inout Network)

    /// Called before the first batch of every epoch (1-based), also when a run resumes, so a rule
    /// can follow a schedule of its own (Kolen–Pollack's decay phase). A loop of one's own that
    /// calls ``TrainingStep`` calls it too.
    mutating func epochWillBegin(_ epoch: Int)

    /// Problems met while learning feedback that the run should report (e.g. a singular ridge
    /// system), each once; the trainer collects them after every epoch.
    mutating func takeWarnings() -> [String]

    /// Calls `body` with the Hebbian products whose signed sum is layer ℓ's weight gradient,
    /// `∇Wⁱ = Σ sign · postᵀ pre / batch`, `∇bⁱ = Σ sign · mean(post)` (`post` is `(batch, outputs)`,
    /// `pre` `(batch, inputs)`). The default is the one product every credit-assignment rule
    /// shares, of the layer's `credit` `δaⁱ` and the activity below it, `presynaptic` `hⁱ⁻¹`; a
    /// contrastive rule (equilibrium propagation, contrastive Hebbian learning) gives its own two
    /// phases' products with opposite signs instead. ``LocalUpdate`` forms the change from them;
    /// nothing else does. (The matrices, not the whole workspace, are handed over: the update
    /// writes into the workspace meanwhile, and a copy of it would make that write copy buffers.)
    func forEachHebbianTerm(layer ℓ: Int, credit: Matrix, presynaptic: Matrix,
                            _ body: (_ post: Matrix, _ pre: Matrix, _ sign: Float) -> Void)

    /// The rule's own learned or fixed state (feedback matrices), each tensor by name, saved in
    /// checkpoints so that a resumed run continues exactly. Rules without state return `[]`.
    /// Setting it assigns each tensor to the slot of its name; a checkpoint checks beforehand that
    /// names and shapes are the rule's own.
    var state: [NamedTensor] { get set }

    /// The feedback matrices that stand where a forward weight's transpose would (FA-like
    /// paths), for the sign-congruence and weight-error diagnostics. Empty for backprop.
    var feedbackPairs: [FeedbackPair] { get }

    /// For a network that answers by settling (equilibrium propagation, contrastive Hebbian
    /// learning): replaces the feed-forward pass's activities in `workspace` (input, target and
    /// forward pass filled) by the settled ones, whose output is the answer. Default: nothing —
    /// the feed-forward pass answers.
    mutating func infer(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend)

    /// The batch's summed loss as the network answers it, after ``assignCredit(network:workspace:backend:random:)``,
    /// when that is not the feed-forward pass's (a settling network's free phase); `nil` otherwise.
    func answerLoss(_ loss: Loss, workspace: Workspace) -> Double?

    /// What the rule measures of itself on the probe batch, whose forward pass, output error and
    /// backprop's credits are in `workspace` (learned top-down weights report their reconstruction
    /// error). Default: nothing.
    func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn]
}

extension LearningRule {
    public var state: [NamedTensor] {
        get { [] }
        set {}
    }

    public var feedbackPairs: [FeedbackPair] { [] }

    public func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] { [] }

    public mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                       random: inout RandomSource) {}

    public mutating func forwardWeightsDidChange(_ network: inout Network) {}

    public mutating func takeWarnings() -> [String] { [] }

    public mutating func epochWillBegin(_ epoch: Int) {}

    public mutating func infer(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend) {}

    public func answerLoss(_ loss: Loss, workspace: Workspace) -> Double? { nil }

    public func forEachHebbianTerm(layer ℓ: Int, credit: Matrix, presynaptic: Matrix,
                                   _ body: (_ post: Matrix, _ pre: Matrix, _ sign: Float) -> Void) {
        body(credit, presynaptic, 1)
    }
}
