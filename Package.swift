// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "SwiftPool",
    // Linux only, as built and tested (Debian 12): the sources use Glibc, /proc and Debian's Open MPI.
    // SwiftPM's `platforms` names only Apple systems, so there is nothing to declare here.
    products: [
        .library(name: "SwiftPool", targets: ["SwiftPool"]),
        .executable(name: "Mandelbrot", targets: ["Mandelbrot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        // `swift package generate-documentation` (the DocC catalog in Sources/SwiftPool).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // Linux calls Swift's Glibc module leaves out (pipe2, accept4, prctl, futex).
        .systemLibrary(name: "CLinux"),
        .target(
            name: "SwiftPool",
            dependencies: [
                "CMPI",
                "CLinux",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // Runnable examples: each is a SwiftPool program to start under mpirun.
        .executableTarget(
            name: "Mandelbrot",
            dependencies: ["SwiftPool", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "mpirun-examples/Mandelbrot"
        ),
        .executableTarget(name: "MapExample", dependencies: ["SwiftPool"], path: "mpirun-examples/MapExample"),
        .executableTarget(name: "SubmitExample", dependencies: ["SwiftPool"], path: "mpirun-examples/SubmitExample"),
        .executableTarget(
            name: "CallbackExample", dependencies: ["SwiftPool"], path: "mpirun-examples/CallbackExample"),

        // Benchmarks, run under mpirun; they print figures and assert nothing.
        .executableTarget(
            name: "SwiftPoolBench",
            dependencies: ["SwiftPool", "CLinux", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/SwiftPoolBench"
        ),

        // The program the integration tests launch under mpirun, one scenario per run.
        .executableTarget(
            name: "PoolScenarios",
            dependencies: ["SwiftPool", .product(name: "MetricsTestKit", package: "swift-metrics")],
            path: "Tests/PoolScenarios"
        ),
        // The wire's fuzzer (make fuzz; the tests run a short campaign of it).
        .executableTarget(
            name: "SwiftPoolFuzz",
            dependencies: [
                "SwiftPool", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Tests/Fuzz"
        ),
        .testTarget(
            name: "SwiftPoolTests",
            dependencies: [
                "SwiftPool", "PoolScenarios", "SwiftPoolFuzz", "Mandelbrot", "MapExample", "SubmitExample",
                "CallbackExample",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ]
)
