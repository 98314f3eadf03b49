import Foundation
import Testing
@testable import CreditKit

/// The recurrent task suite (periodic output, the add task, evidence accumulation), the softmax
/// and leaky readouts, trials that start afresh, and frozen parameters, against what they must be.
@Suite("Recurrent task suite")
struct SequenceTaskTests {
    static func trainer(task: RecurrentTask, hidden: Int = 4, window: Int, rule: RuleSpec = .backprop, leak: Float? = nil,
                        readoutLeak: Float? = nil, frozen: [String]? = nil) throws -> Trainer<RecurrentModel> {
        var configuration = RecurrentConfiguration()
        configuration.task = task
        configuration.hidden = hidden
        configuration.bpttSteps = window
        configuration.streams = 3
        configuration.stepsPerEpoch = 4 * (task.task.trialLength ?? window)
        configuration.leak = leak
        configuration.readoutLeak = readoutLeak
        configuration.frozen = frozen
        configuration.rule = rule
        return try Trainer(configuration: configuration, backend: .portable)
    }

    /// One stream's forward pass in Double: the states `h₁…h_T` (from `initial`) and outputs.
    static func run(_ net: [[Double]], sizes: (h: Int, i: Int, o: Int), batch: SequenceBatch, stream s: Int, leak α: Double,
                    readoutLeak κ: Double, initial: Double) -> (states: [[Double]], outputs: [[Double]]) {
        let (wIn, wRec, b, wOut, bOut) = (net[0], net[1], net[2], net[3], net[4])
        var h = Array(repeating: initial, count: sizes.h), y = Array(repeating: 0.0, count: sizes.o)
        var states: [[Double]] = [h], outputs: [[Double]] = [y]
        for t in 0..<batch.steps {
            let row = t * batch.streams + s
            var next = b
            for u in 0..<sizes.h {
                for i in 0..<sizes.i { next[u] += wIn[u * sizes.i + i] * Double(batch.inputs[row, i]) }
                for v in 0..<sizes.h { next[u] += wRec[u * sizes.h + v] * h[v] }
            }
            h = zip(h, next).map { (1 - α) * $0 + α * Foundation.tanh($1) }
            y = (0..<sizes.o).map { k in κ * y[k] + bOut[k] + (0..<sizes.h).reduce(0.0) { $0 + wOut[k * sizes.h + $1] * h[$1] } }
            states.append(h)
            outputs.append(y)
        }
        return (states, outputs)
    }

    /// `∂ℓ/∂ŷ` and the loss of one output row: softmax cross-entropy or the squared error.
    static func outputError(_ y: [Double], target: [Double], crossEntropy: Bool) -> (error: [Double], loss: Double) {
        guard crossEntropy else { return (zip(y, target).map { $0 - $1 }, zip(y, target).reduce(0) { $0 + 0.5 * ($1.0 - $1.1) * ($1.0 - $1.1) }) }
        let top = y.max()!, sum = y.reduce(0) { $0 + exp($1 - top) }
        let p = y.map { exp($0 - top) / sum }
        return (zip(p, target).map { $0 - $1 }, -zip(p, target).reduce(0) { $0 + $1.1 * log($1.0) })
    }

    /// The summed loss over the scored steps, divided by the streams.
    static func loss(_ net: [[Double]], model: RecurrentModel, batch: SequenceBatch) -> Double {
        let network = model.network
        let sizes = (h: network.hiddenSize, i: network.inputSize, o: network.outputSize)
        var total = 0.0
        for s in 0..<batch.streams {
            let outputs = run(net, sizes: sizes, batch: batch, stream: s, leak: Double(network.leak), readoutLeak: Double(network.readoutLeak),
                              initial: Double(model.configuration.task.task.initialState)).outputs
            for t in 0..<batch.steps where batch.isScored?[t * batch.streams + s] ?? true {
                let target = (0..<sizes.o).map { Double(batch.targets[t * batch.streams + s, $0]) }
                total += outputError(outputs[t + 1], target: target, crossEntropy: network.loss == .crossEntropy).loss
            }
        }
        return total / Double(batch.streams)
    }

    /// BPTT over a whole sequence equals the central differences of the loss: the softmax readout
    /// (add task), a leaky readout, leaky units, and a loss scored during the recall cue only
    /// (evidence accumulation, one trial from its initial state).
    @Test(arguments: [("add", Float(0), Float(1)), ("add", 0.6, 1), ("add", 0.6, 0.4), ("evidence", 0.5, 1), ("periodic", 0, 0.3)])
    func bpttThroughTheReadoutMatchesFiniteDifferences(_ name: String, _ readoutLeak: Float, _ leak: Float) throws {
        let task: RecurrentTask = switch name {
        case "evidence": .evidence(EvidenceAccumulation(cues: 3, cueLength: 1, cueGap: 1, delay: 1, recall: 2))
        case "periodic": .periodic(PeriodicOutput(period: 8))
        default: .add(AddTask(firstLag: 1, secondLag: 2))
        }
        let steps = task.task.trialLength ?? 6
        let trainer = try Self.trainer(task: task, window: steps, leak: leak, readoutLeak: readoutLeak)
        var random = RandomSource(seed: 9)
        let batch = task.task.generate(streams: 3, steps: steps, random: &random)
        let analytic = trainer.model.truncatedGradients(of: batch, window: steps)
        let parameters = trainer.network.parameters.map(\.doubles)
        for (p, values) in parameters.enumerated() {
            var numeric: [Double] = []
            for index in values.indices {
                var up = parameters, down = parameters
                up[p][index] += 1e-6
                down[p][index] -= 1e-6
                numeric.append((Self.loss(up, model: trainer.model, batch: batch) - Self.loss(down, model: trainer.model, batch: batch)) / 2e-6)
            }
            let norm = numeric.reduce(0) { $0 + $1 * $1 }
            if norm < 1e-14 { continue }  // W_in of the periodic task: no input, no gradient
            #expect(relativeError(analytic[p].doubles, numeric) < 1e-3, "\(name): parameter block \(p)")
        }
    }

    /// E-prop through a leaky readout filters its traces forward, `P̄ₜ = κP̄ₜ₋₁ + Pₜ`, and forms the
    /// readout's gradient from `h̄ₜ = κh̄ₜ₋₁ + hₜ`, online across windows. Written the other way
    /// round in Double — the errors filtered backwards over the whole sequence, `Ēₜ = eₜ + κĒₜ₊₁`,
    /// meeting the unfiltered traces, `Σₜ (B Ēₜ) ⊙ Pₜ` and `Σₜ Ēₜ hₜᵀ` — it must agree.
    @Test(arguments: [(EligibilityPropagationSettings.LearningSignal.symmetric, Float(1)), (.random, 0.4)])
    func ePropThroughALeakyReadoutFiltersItsTraces(_ signal: EligibilityPropagationSettings.LearningSignal, _ leak: Float) throws {
        let κ = 0.6, α = Double(leak)
        let task = RecurrentTask.add(AddTask(firstLag: 1, secondLag: 2))
        let trainer = try Self.trainer(task: task, window: 2, rule: RuleSpec(EligibilityPropagationSettings(learningSignal: signal)),
                                       leak: leak, readoutLeak: Float(κ))
        var random = RandomSource(seed: 11)
        let batch = task.task.generate(streams: 3, steps: 8, random: &random)
        let analytic = trainer.model.truncatedGradients(of: batch, window: 2, exact: false)
        let net = trainer.network
        let (h, i, o) = (net.hiddenSize, net.inputSize, net.outputSize)
        let signalWeights = (signal == .symmetric ? net.readoutWeights : trainer.model.readoutFeedback).doubles  // (O, H)
        var expected = net.parameters.map { [Double](repeating: 0, count: $0.count) }
        let streams = Double(batch.streams)
        for s in 0..<batch.streams {
            let (states, outputs) = Self.run(net.parameters.map(\.doubles), sizes: (h, i, o), batch: batch, stream: s, leak: α,
                                             readoutLeak: κ, initial: 0)
            let errors = (0..<batch.steps).map { t in
                Self.outputError(outputs[t + 1], target: (0..<o).map { Double(batch.targets[t * batch.streams + s, $0]) }, crossEntropy: true).error
            }
            var filtered = errors
            for t in stride(from: batch.steps - 2, through: 0, by: -1) {
                filtered[t] = (0..<o).map { errors[t][$0] + κ * filtered[t + 1][$0] }
            }
            var pIn = [Double](repeating: 0, count: h * i), pRec = [Double](repeating: 0, count: h * h), pB = [Double](repeating: 0, count: h)
            for t in 0..<batch.steps {
                let before = states[t], x = (0..<i).map { Double(batch.inputs[t * batch.streams + s, $0]) }
                for u in 0..<h {
                    // rₜ from hₜ = (1 − α)hₜ₋₁ + α rₜ.
                    let rate = (states[t + 1][u] - (1 - α) * before[u]) / α
                    let slope = α * (1 - rate * rate)
                    for v in 0..<h { pRec[u * h + v] = (1 - α) * pRec[u * h + v] + slope * before[v] }
                    for c in 0..<i { pIn[u * i + c] = (1 - α) * pIn[u * i + c] + slope * x[c] }
                    pB[u] = (1 - α) * pB[u] + slope
                    let learning = (0..<o).reduce(0.0) { $0 + signalWeights[$1 * h + u] * filtered[t][$1] }
                    for c in 0..<i { expected[0][u * i + c] += learning * pIn[u * i + c] / streams }
                    for v in 0..<h { expected[1][u * h + v] += learning * pRec[u * h + v] / streams }
                    expected[2][u] += learning * pB[u] / streams
                }
                for k in 0..<o {
                    for u in 0..<h { expected[3][k * h + u] += filtered[t][k] * states[t + 1][u] / streams }
                    expected[4][k] += filtered[t][k] / streams
                }
            }
        }
        for p in 0..<5 {
            #expect(relativeError(analytic[p].doubles, expected[p]) < 1e-5, "parameter block \(p)")
        }
    }

    /// An online rule's window is only its update period: its diagnostics compare it with the
    /// untruncated gradient, which RTRL is (0°) and e-prop, window 1 or not, is not.
    @Test func onlineRulesAreJudgedAgainstTheUntruncatedGradient() throws {
        var rtrl = try Self.trainer(task: .delayedXOR(DelayedXOR()), window: 2, rule: RuleSpec(RealTimeRecurrentLearningSettings()))
        let exact = rtrl.diagnose()
        #expect(exact.weightAngles.allSatisfy { $0 < 0.5 } && exact.creditAngles[0] < 0.5, "\(exact.weightAngles) \(exact.creditAngles)")
        var eprop = try Self.trainer(task: .delayedXOR(DelayedXOR()), window: 1, rule: RuleSpec(EligibilityPropagationSettings()))
        let online = eprop.diagnose()
        #expect(online.weightAngles[1] > 1 && online.creditAngles[0] > 1, "\(online.weightAngles) \(online.creditAngles)")
    }

    @Test func theAddTaskDependsOnItsLags() {
        let task = AddTask()
        var random = RandomSource(seed: 3)
        let batch = task.generate(streams: 20, steps: 20_000, random: &random)
        var ones = [Double](repeating: 0, count: 4), counts = [Double](repeating: 0, count: 4)
        for t in 8..<batch.steps {
            for s in 0..<batch.streams {
                let row = t * batch.streams + s
                #expect(batch.targets[row, 0] + batch.targets[row, 1] == 1)
                let cell = Int(batch.inputs[(t - 3) * batch.streams + s, 0]) * 2 + Int(batch.inputs[(t - 8) * batch.streams + s, 0])
                counts[cell] += 1
                ones[cell] += Double(batch.targets[row, 1])
            }
        }
        // P(y = 1) for (x₋₃, x₋₈) = (0,0), (0,1), (1,0), (1,1).
        for (cell, p) in [0.5, 0.25, 1, 0.75].enumerated() {
            #expect(abs(ones[cell] / counts[cell] - p) < 0.01, "cell \(cell): \(ones[cell] / counts[cell])")
        }
        let ladder = AddTask.crossEntropyLadder
        #expect(abs(ladder.noMemory - 0.66) < 0.005 && abs(ladder.firstDependency - 0.52) < 0.005 && abs(ladder.both - 0.45) < 0.005)
        #expect(throws: ConfigurationError.self) { try AddTask(firstLag: 3, secondLag: 3).validate() }
    }

    @Test func evidenceTrialsAskForTheMajoritySide() throws {
        let task = EvidenceAccumulation()
        let length = try #require(task.trialLength)
        #expect(length == 44)
        var random = RandomSource(seed: 5)
        let batch = task.generate(streams: 10, steps: 200 * length, random: &random)
        let scored = try #require(batch.isScored)
        var favoured = 0.0, cues = 0.0
        for s in 0..<batch.streams {
            for start in stride(from: 0, to: batch.steps, by: length) {
                var (left, right) = (0, 0)
                for t in start..<(start + length) {
                    let row = t * batch.streams + s
                    #expect(batch.inputs[row, 3] == task.background)
                    left += Int(batch.inputs[row, 0])
                    right += Int(batch.inputs[row, 1])
                    let recalling = t - start >= length - task.recall
                    #expect(scored[row] == recalling && (batch.inputs[row, 2] == 1) == recalling)
                    #expect(batch.isTarget[row] == (t == start + length - 1))
                }
                #expect(left + right == task.cues * task.cueLength)
                let last = (start + length - 1) * batch.streams + s
                #expect(batch.targets[last, right > left ? 1 : 0] == 1)
                favoured += Double(max(left, right)) / Double(task.cueLength)
                cues += Double(task.cues)
            }
        }
        // Cues fall on the favoured side 70 % of the time, so the majority side gets more than that.
        #expect(favoured / cues > 0.7)
        #expect(throws: ConfigurationError.self) { try EvidenceAccumulation(cues: 6).validate() }
    }

    /// Murray's target, the same in every trial; trials start afresh, so every trial of a batch
    /// has the first trial's loss.
    @Test func periodicTrialsRestartFromTheInitialState() throws {
        let task = PeriodicOutput(period: 10)
        #expect(abs(task.targetVariance - (1 + 0.25 + 0.0625) / 2) < 1e-6)
        var random = RandomSource(seed: 1)
        let one = task.generate(streams: 2, steps: 10, random: &random), three = task.generate(streams: 2, steps: 30, random: &random)
        for t in 0..<30 { #expect(three.targets[t * 2, 0] == one.targets[(t % 10) * 2, 0]) }
        let trainer = try Self.trainer(task: .periodic(task), window: 5)
        let (first, all) = (trainer.model.evaluate(one), trainer.model.evaluate(three))
        #expect(abs(first.loss - all.loss) < 1e-6 * first.loss && abs(first.error - all.error) < 1e-5)
        #expect(abs(first.error - 2 * first.loss / task.targetVariance) < 1e-9)
        #expect(throws: ConfigurationError.self) { try Self.trainer(task: .periodic(task), window: 3) }
    }

    @Test func frozenParametersKeepTheirValues() throws {
        var trainer = try Self.trainer(task: .periodic(PeriodicOutput(period: 10)), window: 10, frozen: ["W_in", "b", "b_out"])
        let before = trainer.network
        try trainer.trainEpoch()
        let after = trainer.network
        #expect(after.inputWeights == before.inputWeights && after.biases == before.biases && after.readoutBiases == before.readoutBiases)
        #expect(after.recurrentWeights != before.recurrentWeights && after.readoutWeights != before.readoutWeights)
    }

    @Test func badTaskSettingsAreRefused() {
        func refused(_ change: (inout RecurrentConfiguration) -> Void) -> Bool {
            var configuration = RecurrentConfiguration()
            change(&configuration)
            do { try configuration.validate() } catch { return true }
            return false
        }
        #expect(refused { $0.readoutLeak = 1 })
        #expect(refused { $0.frozen = ["W"] })
        #expect(refused { $0.recurrentGain = .nan })
        #expect(refused { $0.task = .periodic(PeriodicOutput(period: 100)); $0.bpttSteps = 7 })
        #expect(refused { $0.task = .evidence(EvidenceAccumulation()); $0.bpttSteps = 4; $0.stepsPerEpoch = 50 })
        #expect(refused { $0.rule = RuleSpec(RealTimeRecurrentLearningSettings()); $0.hidden = 8; $0.readoutLeak = 0.5 })
        #expect(refused { $0.rule = RuleSpec(NodePerturbationSettings(feedback: .xavier)); $0.readoutLeak = 0.5 })
        #expect(!refused { $0.task = .evidence(EvidenceAccumulation()); $0.bpttSteps = 44; $0.stepsPerEpoch = 440 })
    }

    /// A configuration recorded before the suite (its task without a `kind`) is delayed XOR; the
    /// suite's tasks round-trip through JSON.
    @Test func tasksDecodeFromRecordedConfigurations() throws {
        let old = #"{"delay": 5, "gaps": [7, 13]}"#
        #expect(try JSONDecoder().decode(RecurrentTask.self, from: Data(old.utf8)) == .delayedXOR(DelayedXOR(delay: 5)))
        for task in [RecurrentTask.periodic(PeriodicOutput(period: 50)), .add(AddTask(firstLag: 2, secondLag: 5)), .evidence(EvidenceAccumulation(cues: 5))] {
            #expect(try JSONDecoder().decode(RecurrentTask.self, from: JSONEncoder().encode(task)) == task)
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RecurrentTask.self, from: Data(#"{"kind": "copy"}"#.utf8)) }
    }
}
