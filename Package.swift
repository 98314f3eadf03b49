// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "CreditKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "CreditKit", targets: ["CreditKit"]),
        .executable(name: "credit", targets: ["credit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation`: the DocC catalog in Sources/CreditKit/CreditKit.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // zlib, for reading `.gz` datasets directly (MNIST ships as gzip-compressed IDX).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // AVX-512 and AVX2 twins of the elementwise kernels, bit-identical to the Swift ones (Swift has
        // no per-function target attribute; the module itself is built for the baseline x86-64).
        .target(name: "CVectorKernels"),
        .target(
            name: "CreditKit",
            dependencies: ["CZlib", "CVectorKernels"],
            resources: [.copy("Resources/digits.csv.gz")]
        ),
        // The papers' experiments, the run session they share, their reports and charts.
        .target(
            name: "CreditExperiments",
            dependencies: ["CreditKit"]
        ),
        .executableTarget(
            name: "credit",
            dependencies: [
                "CreditKit",
                "CreditExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CreditKitTests",
            dependencies: ["CreditKit"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CreditExperimentsTests",
            dependencies: ["CreditExperiments", "CreditKit"]
        ),
        // The README's library example, through the public API only.
        .testTarget(
            name: "LibraryExampleTests",
            dependencies: ["CreditKit"]
        ),
        // Runs the built `credit` executable: exit codes, messages, help.
        .testTarget(
            name: "CreditCLITests",
            dependencies: ["credit"]
        ),
    ]
)
