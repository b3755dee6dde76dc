/// Where work run by ``InlineTaskExecutor`` leaves its outcome. `@unchecked Sendable`: the work
/// writes it and the runner reads it on the same thread, one after the other.
final class OutcomeBox<Value>: @unchecked Sendable {
    var value: Value?
}
