import Foundation

/// The datasets CreditKit knows by name (`--dataset`).
public enum DatasetName: String, CaseIterable, Sendable, Codable {
    /// UCI optical digits (8×8, 1,797 examples), bundled with the package so everything works
    /// offline. It has no official split: the first 1,347 examples train, the last 450 test.
    case digits
    case mnist
    case fashionMNIST = "fashion-mnist"
    /// SARCOS inverse dynamics, IAS/TU Darmstadt release of the real robot (13,922 / 5,569; 21
    /// inputs, 7 joint torques; see ../shared/data/sarcos-ias/README.md).
    case sarcos
    /// Barrett WAM inverse dynamics, real robot (12,000 / 3,000; 21 inputs, 7 torques).
    case barrett
    /// The delayed-XOR streams (``DelayedXOR``), generated from the seed: for `credit train-rnn`.
    case delayedXOR = "delayed-xor"

    /// Whether this is a sequence task, generated rather than read (recurrent networks only).
    public var isSequenceTask: Bool { self == .delayedXOR }
}

/// Loads named datasets from the search path (``DataLocator``) or the bundled resource.
public enum DatasetCatalog {
    /// Examples of the bundled digits used for training; the rest are the test set.
    public static let digitsTrainCount = 1347

    /// The files of a downloadable dataset and their checksums; `nil` for bundled or generated data.
    public static func files(of name: DatasetName) -> DatasetFiles? {
        switch name {
        case .delayedXOR:
            return nil
        case .digits:
            return DatasetFiles(folder: "uci-optdigits", files: [
                RemoteFile(name: "digits.csv.gz", sha256: "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
                           url: "https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/digits.csv.gz"),
            ])
        case .mnist:
            let base = "https://ossci-datasets.s3.amazonaws.com/mnist/"
            return DatasetFiles(folder: "mnist", files: [
                RemoteFile(name: "train-images-idx3-ubyte.gz", sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", url: base + "train-images-idx3-ubyte.gz"),
                RemoteFile(name: "train-labels-idx1-ubyte.gz", sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", url: base + "train-labels-idx1-ubyte.gz"),
                RemoteFile(name: "t10k-images-idx3-ubyte.gz", sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", url: base + "t10k-images-idx3-ubyte.gz"),
                RemoteFile(name: "t10k-labels-idx1-ubyte.gz", sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", url: base + "t10k-labels-idx1-ubyte.gz"),
            ])
        case .sarcos:
            return DatasetFiles(folder: "sarcos-ias", files: [
                RemoteFile(name: "ias_sarcos_data.mat", sha256: "8f6eec5f7a7bd3e086bde57656c60a5c380fced23f651cda19fe8f3deade17f3",
                           url: mimo + "datasets/Sarcos/ias_sarcos_data.mat"),
            ])
        case .barrett:
            return DatasetFiles(folder: "barrett-wam", files: [
                RemoteFile(name: "ias_real_barrett_data.mat", sha256: "b54be76cc0757fa7b4b943ef24fd3f080223037bf3f3527ee5a59f023686a346",
                           url: mimo + "datasets/Barrett/ias_real_barrett_data.mat"),
            ])
        case .fashionMNIST:
            let base = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
            return DatasetFiles(folder: "fashion-mnist", files: [
                RemoteFile(name: "train-images-idx3-ubyte.gz", sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", url: base + "train-images-idx3-ubyte.gz"),
                RemoteFile(name: "train-labels-idx1-ubyte.gz", sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", url: base + "train-labels-idx1-ubyte.gz"),
                RemoteFile(name: "t10k-images-idx3-ubyte.gz", sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", url: base + "t10k-images-idx3-ubyte.gz"),
                RemoteFile(name: "t10k-labels-idx1-ubyte.gz", sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", url: base + "t10k-labels-idx1-ubyte.gz"),
            ])
        }
    }

    /// The robot data's only public copy: the `hanyas/mimo` repository at its last commit with them.
    static let mimo = "https://raw.githubusercontent.com/hanyas/mimo/b1c3331da98c98fde847892a93ce45fccb039406/"

    /// Loads `name`. The bundled digits are used unless `--data` names another root.
    public static func load(_ name: DatasetName, locator: DataLocator = DataLocator()) throws(DataError) -> DataSplit {
        switch name {
        case .delayedXOR:
            throw .unreadable(file: name.rawValue, reason: "a sequence task generated on the fly, not a table of examples: "
                              + "train it with `credit train-rnn`")
        case .digits:
            if locator.explicitRoot == nil, let bundled = bundledDigitsPath() {
                return try digits(at: bundled, source: "bundled (\(bundled))")
            }
            let folder = try locator.locate(files(of: .digits)!)
            return try digits(at: folder + "/digits.csv.gz", source: folder)
        case .mnist, .fashionMNIST:
            let folder = try locator.locate(files(of: name)!)
            return try idxImages(folder: folder, name: name.rawValue)
        case .sarcos, .barrett:
            let files = files(of: name)!
            let folder = try locator.locate(files)
            return try inverseDynamics(file: folder + "/" + files.files[0].name, name: name.rawValue)
        }
    }

    /// A MAT file with `X_train`, `Y_train`, `X_test`, `Y_test` (the IAS robot releases, and the
    /// layout of a user's own): inputs and every target column, as floats.
    public static func inverseDynamics(file: String, name: String) throws(DataError) -> DataSplit {
        let variables = try MATReader.read(file)
        func part(_ x: String, _ y: String) throws(DataError) -> Dataset {
            guard let inputs = variables[x], let targets = variables[y] else {
                throw .inconsistent(file: file, reason: "expected variables \(x) and \(y); found \(variables.keys.sorted().joined(separator: ", "))")
            }
            guard inputs.rows == targets.rows else {
                throw .inconsistent(file: file, reason: "\(x) has \(inputs.rows) rows but \(y) has \(targets.rows)")
            }
            return Dataset(name: "\(name)-\(x.hasSuffix("train") ? "train" : "test")", count: inputs.rows, featureCount: inputs.columns,
                           features: .floats(inputs.values), targets: .values(targets.values, width: targets.columns))
        }
        let split = DataSplit(train: try part("X_train", "Y_train"), test: try part("X_test", "Y_test"), source: file)
        try split.check(file: file, trainPart: "X_train/Y_train", testPart: "X_test/Y_test")
        return split
    }

    /// MNIST-layout IDX files in `folder`: 28×28 byte images, pixels scaled to [0, 1].
    public static func idxImages(folder: String, name: String) throws(DataError) -> DataSplit {
        func read(_ images: String, _ labels: String, part: String) throws(DataError) -> Dataset {
            let imagePath = folder + "/" + images, labelPath = folder + "/" + labels
            let x = try IDXReader.read(imagePath)
            let y = try IDXReader.read(labelPath)
            guard x.dimensions.count == 3 else {
                throw .malformedIDX(file: imagePath, reason: "expected 3 dimensions (count × rows × columns), found \(x.dimensions.count)")
            }
            guard y.dimensions.count == 1 else {
                throw .malformedIDX(file: labelPath, reason: "expected 1 dimension (count), found \(y.dimensions.count)")
            }
            guard x.dimensions[0] == y.dimensions[0] else {
                throw .inconsistent(file: labelPath, reason: "holds \(y.dimensions[0]) labels for \(x.dimensions[0]) images in \(images)")
            }
            if let bad = y.bytes.firstIndex(where: { $0 > 9 }) {
                throw .inconsistent(file: labelPath, reason: "label \(bad) is \(y.bytes[bad]), expected 0…9")
            }
            return Dataset(name: "\(name)-\(part)", count: x.dimensions[0], featureCount: x.dimensions[1] * x.dimensions[2],
                           features: .bytes(x.bytes, scale: 1 / 255), targets: .classes(y.bytes, classCount: 10))
        }
        let split = DataSplit(train: try read("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", part: "train"),
                              test: try read("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", part: "test"),
                              source: folder)
        try split.check(file: folder + "/t10k-images-idx3-ubyte.gz", trainPart: "train-images-idx3-ubyte.gz",
                        testPart: "t10k-images-idx3-ubyte.gz")
        return split
    }

    /// The scikit-learn `digits.csv.gz` layout: 64 pixel counts 0…16, then the label.
    public static func digits(at path: String, source: String) throws(DataError) -> DataSplit {
        let table = try CSVReader.read(path)
        let m = table.matrix
        guard m.columns == 65 else {
            throw .inconsistent(file: path, reason: "expected 65 columns (64 pixels and a label), found \(m.columns)")
        }
        var pixels = [UInt8](repeating: 0, count: m.rows * 64)
        var labels = [UInt8](repeating: 0, count: m.rows)
        for r in 0..<m.rows {
            for c in 0..<64 {
                let v = m[r, c]
                guard v >= 0, v <= 16, v == v.rounded() else {
                    throw .malformedCSV(file: path, line: r + 1, field: c + 1, reason: "expected a pixel count 0…16, found \(v)")
                }
                pixels[r * 64 + c] = UInt8(v)
            }
            let label = m[r, 64]
            guard label >= 0, label <= 9, label == label.rounded() else {
                throw .malformedCSV(file: path, line: r + 1, field: 65, reason: "expected a class label 0…9, found \(label)")
            }
            labels[r] = UInt8(label)
        }
        let all = Dataset(name: "digits", count: m.rows, featureCount: 64,
                          features: .bytes(pixels, scale: 1 / 16), targets: .classes(labels, classCount: 10))
        guard m.rows >= 2 else {
            throw .inconsistent(file: path, reason: "holds \(m.rows) examples; expected at least 2 (one to train on, one to test)")
        }
        let cut = min(digitsTrainCount, m.rows - 1)
        let split = DataSplit(train: all.slice(0..<cut, name: "digits-train"), test: all.slice(cut..<m.rows, name: "digits-test"),
                              source: source)
        try split.check(file: path)
        return split
    }

    /// The bundled copy of the digits, found without `Bundle.module` (whose accessor traps when
    /// the resource bundle is missing, e.g. after the binary was copied elsewhere).
    static func bundledDigitsPath() -> String? {
        let bundleNames = ["CreditKit_CreditKit.resources", "CreditKit_CreditKit.bundle", "CreditKit_CreditKit.bundle/Contents/Resources"]
        var directories: [URL] = []
        if let resources = Bundle.main.resourceURL { directories.append(resources) }
        directories.append(Bundle.main.bundleURL)
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles { directories.append(bundle.bundleURL.deletingLastPathComponent()) }
        for directory in directories {
            for name in bundleNames {
                let candidate = directory.appendingPathComponent(name).appendingPathComponent("digits.csv.gz").path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}
