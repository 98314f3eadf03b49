/// One example's relaxation, step by step, for plotting: a freshly drawn hard-sigmoid net and an
/// input drawn uniformly in [0, 1], the energy and the distance from equilibrium after every
/// step (`Relaxation`).
public struct SettlingTrace: Sendable {
    /// The energy (`E`, or `F = E + βC` while nudged) and the residual after a step.
    public struct Point: Sendable {
        public var energy: Double
        public var residual: Double
    }

    let network: Network
    let workspace: Workspace

    /// A `sizes` net (784-500-10 by default) drawn from `seed`, one input and a one-hot target.
    public init(seed: UInt64, sizes: [Int] = [784, 500, 10]) {
        var random = RandomSource(seed: seed)
        network = Network(architecture: Architecture(sizes: sizes, hiddenActivation: .hardSigmoid, outputActivation: .hardSigmoid),
                          initializer: .xavier, random: &random)
        var workspace = Workspace(architecture: network.architecture, batchSize: 1)
        workspace.input = Matrix(rows: 1, columns: sizes[0]) { _, _ in random.nextUnitFloat() }
        workspace.target = Matrix(rows: 1, columns: sizes[sizes.count - 1]) { _, c in c == 3 ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        self.workspace = workspace
    }

    /// The free phase from zero states: the starting point and every step's.
    public func free(steps: Int, stepSize: Float) -> [Point] {
        var states = zeroStates()
        return [point(states, beta: 0)] + (0..<steps).map { _ in
            relax(&states, steps: 1, stepSize: stepSize, beta: 0)
            return point(states, beta: 0)
        }
    }

    /// `freeSteps` free steps, then `steps` nudged ones with `β`: the nudged phase's points.
    public func nudged(beta β: Float, freeSteps: Int, steps: Int, stepSize: Float) -> [Point] {
        var states = zeroStates()
        relax(&states, steps: freeSteps, stepSize: stepSize, beta: 0)
        return [point(states, beta: β)] + (0..<steps).map { _ in
            relax(&states, steps: 1, stepSize: stepSize, beta: β)
            return point(states, beta: β)
        }
    }

    private func zeroStates() -> LayerScratch {
        var states = LayerScratch()
        states.fit(workspace)
        for i in 0..<network.depth { states[i].fill(0) }
        return states
    }

    private func relax(_ states: inout LayerScratch, steps: Int, stepSize: Float, beta: Float) {
        var relaxation = Relaxation()
        relaxation.relax(&states, steps: steps, stepSize: stepSize, beta: beta, clampOutput: false, network: network, workspace: workspace,
                         backend: .shared)
    }

    private func point(_ states: LayerScratch, beta β: Float) -> Point {
        var relaxation = Relaxation()
        let top = states[network.depth - 1]
        let cost = zip(top.elements, workspace.target.elements).reduce(0.0) { $0 + 0.5 * Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        return Point(energy: Relaxation.energy(states, network: network, workspace: workspace, backend: .shared)[0] + Double(β) * cost,
                     residual: relaxation.residual(states, network: network, workspace: workspace, backend: .shared))
    }
}
