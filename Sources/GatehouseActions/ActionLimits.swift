/// The limits of `auth0-actions.md` §4.3, enforced by the Management API with clear 400s.
public enum ActionLimits {
    public static let codeBytes = 100 * 1024
    public static let actionsPerTenant = 100
    public static let bindingsPerTrigger = 20
    public static let versionsPerAction = 50
    public static let secretsPerAction = 30
    public static let secretNameLength = 128
    public static let secretValueLength = 4096
    public static let dependenciesPerAction = 10
    public static let nameLength = 255
}
