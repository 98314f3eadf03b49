// swift-tools-version: 6.1
// The benchmarks live in their own package, so that building or testing CreditKit never builds
// ordo-one/benchmark. Run them from this folder: `swift package --disable-sandbox benchmark`.
import PackageDescription

let package = Package(
    name: "CreditKitBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Named, because a path dependency's identity is its folder's name, which depends on the checkout.
        .package(name: "CreditKit", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // wall clock, throughput and allocations of a training step
        .executableTarget(
            name: "CreditKitBenchmarks",
            dependencies: [
                .product(name: "CreditKit", package: "CreditKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CreditKitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
