import CreditKit
import Foundation

/// The settling networks' experiments (Scellier & Bengio 2017 and the NGRAD family around it).
extension ExperimentRegistry {
    /// `784-…-10` hard-sigmoid units, squared error on one-hot targets, raw pixels in [0, 1],
    /// batch 20, plain SGD at `learningRate` with per-layer factors — Scellier & Bengio's code.
    /// Every rule runs on the same net; backprop and predictive coding through its feed-forward pass.
    /// The settling rules' output is a clipped state; backprop and predictive coding, which answer
    /// by the feed-forward pass, read out linearly: a clipped output unit that saturates on the
    /// wrong side gets no gradient through the clip and never recovers (measured: backprop with a
    /// hard-sigmoid output, 10.4 % after 25 epochs; PC fixed 10.4 %).
    static func settlingMNIST(hidden: [Int], rule: RuleSpec, learningRate: Float) -> TrainingConfiguration {
        let settles = rule.settings(as: SettlingSettings.self) != nil
        return TrainingConfiguration(dataset: .mnist, hiddenLayers: hidden, activation: .hardSigmoid,
                                     outputActivation: settles ? .hardSigmoid : .identity, loss: .squaredError, rule: rule, epochs: 25,
                                     batchSize: 20, learningRate: learningRate, optimizer: .sgd, seed: 1)
    }

    /// The runs of one net: one-sided and symmetric EP, CHL, PC with fixed and recomputed
    /// predictions, and backprop, each rule at EP's rates.
    static func settlingRuns(model: String, hidden: [Int], settling: SettlingSettings, learningRate: Float, rates: [Float],
                             paper: Double?) -> [ExperimentRun] {
        var scaled = settling
        scaled.layerRates = rates
        var symmetric = scaled
        symmetric.nudgeMode = .symmetric
        // One-sided EP's O(β) bias changes sign with β: a random sign cancels it on average, a
        // fixed one does not (the case symmetric EP was made for).
        var positive = scaled
        positive.betaSign = .positive
        let contrastive = SettlingSettings(contrast: .contrastiveHebbian, freeSteps: settling.freeSteps, nudgedSteps: settling.nudgedSteps,
                                           stepSize: settling.stepSize, layerRates: rates)
        let note = "Scellier & Bengio 2017: about 2 % (their code's settings; not verified against the paper's table)"
        func run(_ variant: String, _ rule: RuleSpec, paper: Double? = nil) -> ExperimentRun {
            ExperimentRun(model: model, variant: variant, configuration: settlingMNIST(hidden: hidden, rule: rule, learningRate: learningRate),
                          paperTestError: paper, paperNote: paper == nil ? nil : note)
        }
        return [
            run("bp", .backprop),
            run("eqprop", RuleSpec(scaled), paper: paper),
            run("eqprop-positive", RuleSpec(positive)),
            run("eqprop-symmetric", RuleSpec(symmetric)),
            run("chl", RuleSpec(contrastive)),
            run("pc", .predictiveCoding),
            run("pc-recomputed", RuleSpec(PredictiveCodingSettings(predictions: .recomputed))),
        ]
    }

    /// Scellier & Bengio's 784-500-10: T₁ 20, T₂ 4, ε 0.5, β 0.5 with a random sign, rates 0.1 / 0.05.
    /// Their code's cost is `‖sᴸ − y‖²`, without ALGORITHMS.md's ½: its β pulls twice as hard as
    /// ours, and its update, divided by that β, is twice ours for the same states. Their settings
    /// are therefore β 1 and rates 0.2 / 0.1 here.
    static var scellierMNIST: Experiment {
        Experiment(
            name: "scellier-mnist", source: "Scellier & Bengio 2017 (equilibrium propagation), their code's settings",
            notes: "784-500-10 hard-sigmoid, squared error, raw pixels, batch 20, T₁ 20 / T₂ 4, ε 0.5, their β 0.5 with a random sign "
                + "and rates 0.1 / 0.05 — β 1 and SGD 0.2 (× 1, 0.5 per layer) for our ½‖sᴸ − y‖²; zero initial states (their code keeps "
                + "persistent ones: --persistent-states); 25 epochs. EP and CHL answer by their free phase; BP and PC by the "
                + "feed-forward pass, through a linear readout; every rule at the same rates.",
            runs: settlingRuns(model: "784-500-10", hidden: [500], settling: SettlingSettings(beta: 1), learningRate: 0.2, rates: [1, 0.5],
                               paper: 2.0),
            defaultEpochs: 25, reconstructions: false)
    }

    /// Two hidden layers: T₁ 150, T₂ 6, their β 1 and rates 0.4 / 0.1 / 0.01 (β 2, rates 0.8 / 0.2 /
    /// 0.02 for our cost); their 60 epochs take hours here.
    static var scellierMNISTDeep: Experiment {
        Experiment(
            name: "scellier-mnist-deep", source: "Scellier & Bengio 2017 (equilibrium propagation), their code's settings",
            notes: "784-500-500-10 hard-sigmoid, as scellier-mnist but T₁ 150 / T₂ 6, their β 1 and rates 0.4 / 0.1 / 0.01 (β 2, SGD 0.8 "
                + "× 1, 0.25, 0.025 here); the paper trains 60 epochs, the default here is 10 (the free phase is 150 steps of two "
                + "500×500 products).",
            runs: settlingRuns(model: "784-500-500-10", hidden: [500, 500], settling: SettlingSettings(beta: 2, freeSteps: 150, nudgedSteps: 6),
                               learningRate: 0.8, rates: [1, 0.25, 0.025], paper: 2.0),
            defaultEpochs: 10, reconstructions: false)
    }
}

extension ExperimentRegistry {
    /// How a settling network relaxes: the energy of one example over the free phase's iterations
    /// for several steps ε (ε = 1 is the discrete-time form), then the nudged phases' total energy
    /// `F = E + β C` from the free fixed point with β = ±0.5, and the free phase's residual.
    static var settlingEnergy: Analysis {
        Analysis(name: "settling-energy", source: "Scellier & Bengio 2017; Laborieux et al. 2021 (the discrete-time form)",
                 notes: "One example (pixels drawn uniformly in [0, 1]) through a freshly drawn 784-500-10 hard-sigmoid net: the energy "
                    + "over 40 free steps for ε = 0.2, 0.5 and 1, then 20 nudged steps with β = ±0.5 from the free fixed point.") { root, events in
            let trace = SettlingTrace(seed: 1)
            var csv = ["phase,step_size,iteration,energy,residual"]
            var energySeries: [LineChart.Series] = [], residualSeries: [LineChart.Series] = []
            for ε: Float in [0.2, 0.5, 1] {
                let points = trace.free(steps: 40, stepSize: ε)
                for (k, p) in points.enumerated() { csv.append("free,\(ε),\(k),\(p.energy),\(p.residual)") }
                energySeries.append(.init(name: "free, ε = \(ε)", points: points.enumerated().map { (Double($0), $1.energy) }))
                residualSeries.append(.init(name: "free, ε = \(ε)", points: points.enumerated().map { (Double($0), max($1.residual, 1e-12)) }))
                events(.output(String(format: "free phase, ε = %.1f: energy %.3f → %.3f, residual after 20 steps %.2g, after 40 %.2g", ε,
                                      points[0].energy, points[40].energy, points[20].residual, points[40].residual)))
            }
            for β: Float in [0.5, -0.5] {
                let points = trace.nudged(beta: β, freeSteps: 200, steps: 20, stepSize: 0.5)
                for (k, p) in points.enumerated() { csv.append("nudged \(β),0.5,\(k),\(p.energy),\(p.residual)") }
                energySeries.append(.init(name: "nudged, β = \(β) (F = E + βC)", points: points.enumerated().map { (Double(40 + $0), $1.energy) },
                                          dashed: true))
            }
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/energy.csv")
            let svg = LineChart.panels([
                LineChart(title: "Energy of one example", xLabel: "iteration", yLabel: "E (free), F (nudged)", series: energySeries),
                LineChart(title: "Free phase's distance from equilibrium", xLabel: "iteration", yLabel: "RMS of s − clip(drive)",
                          series: residualSeries, logarithmicY: true),
            ], columns: 2)
            try AtomicFile.write(svg, to: root + "/energy.svg")
            events(.status("wrote \(root)/energy.csv, energy.svg"))
        }
    }
}
