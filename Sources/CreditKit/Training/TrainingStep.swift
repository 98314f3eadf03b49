/// One training step on the batch in a workspace, the same for every rule:
///
/// 1. the shared forward pass fills `aⁱ = Wⁱhⁱ⁻¹ + bⁱ`, `hⁱ = fᵢ(aⁱ)`, the hidden activities spiking or
///    dropped out where the network's layers say so (``Network/forward(_:random:backend:)``);
/// 2. the loss writes the output error `e = ∂L/∂aᴸ` into the top credit;
/// 3. the rule fills every hidden credit `δaⁱ` (``LearningRule/assignCredit(network:workspace:backend:random:)``)
///    and learns its feedback weights, if it has any, from the same batch;
/// 4. ``LocalUpdate`` forms `ΔWⁱ` from the credits (or a contrastive rule's Hebbian terms) and the optimizer applies it; then the
///    optional weight-ball projection, and the rule hears that the forward weights changed.
///
/// ``Trainer`` calls it for every batch; a loop of one's own can call it the same way:
///
/// ```swift
/// var workspace = Workspace(architecture: network.architecture, batchSize: 32)
/// // fill workspace.input and workspace.target with a batch, then
/// let loss = step(network: &network, rule: &rule, optimizer: &optimizer, workspace: &workspace, random: &random)
/// ```
public struct TrainingStep: Sendable {
    /// The loss whose output error starts the credit.
    public var loss: Loss
    /// If set, every unit's incoming weights are projected into the ℓ2 ball of this radius after
    /// the update (the setting of Kickback's regret bound).
    public var weightBall: Float?
    /// Where the matrix products run.
    public var backend: LinearAlgebraBackend

    /// A step for `loss`.
    public init(loss: Loss, weightBall: Float? = nil, backend: LinearAlgebraBackend = .shared) {
        self.loss = loss
        self.weightBall = weightBall
        self.backend = backend
    }

    /// Runs the step on the first `workspace.batchSize` rows of `workspace.input` and
    /// `workspace.target` and returns the batch's summed loss. With `updateForwardWeights: false`
    /// only the rule's feedback learns (a frozen run, node perturbation's warm-up). Allocates nothing.
    @discardableResult
    public func callAsFunction(network: inout Network, rule: inout any LearningRule, optimizer: inout Optimizer,
                               workspace: inout Workspace, updateForwardWeights: Bool = true, random: inout RandomSource) -> Double {
        network.forward(&workspace, random: &random, backend: backend)
        let value = network.writeOutputError(loss: loss, into: &workspace)
        rule.assignCredit(network: network, workspace: &workspace, backend: backend, random: &random)
        let answered = rule.answerLoss(loss, workspace: workspace) ?? value
        rule.learnFeedback(network: network, workspace: workspace, backend: backend, random: &random)
        if updateForwardWeights {
            optimizer.step(&network, rule: rule, workspace: &workspace, backend: backend)
            if let weightBall { network.projectUnitWeights(into: weightBall) }
            rule.forwardWeightsDidChange(&network)
        }
        return answered
    }
}
