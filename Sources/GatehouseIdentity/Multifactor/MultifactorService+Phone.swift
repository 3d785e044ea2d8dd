import GatehouseCore
import GatehouseStorage

extension MultifactorService {
    /// Starts an SMS enrolment (Guardian factor `sms`): a pending `phone` authenticator for
    /// `phoneNumber` (E.164, `+` and 7 to 15 digits) and a code sent to it with action
    /// `enrollment`. An earlier pending phone enrolment is replaced; a confirmed one must be
    /// deleted first. Throws `deliveryFailed` or `providerNotConfigured` when the code cannot be
    /// sent (nothing is kept then).
    public func startPhoneEnrollment(
        userID: String, phoneNumber: String, messageType: SendPhoneMessage.MessageType = .sms, origin: SendPhoneMessage.Origin,
        now: EpochMillis = Timestamp.nowMillis()
    ) async throws -> MultifactorEnrollmentRecord {
        let number = phoneNumber.filter { !$0.isWhitespace && $0 != "-" && $0 != "(" && $0 != ")" }
        guard Self.isE164(number) else {
            throw MultifactorError(
                .invalidPhoneNumber, "The phone number must be in international format: + then the country code and number.")
        }
        guard try await settings().isEnabled(.phone) else { throw MultifactorError.notEnabled("sms") }
        let enrollment = MultifactorEnrollmentRecord(
            id: MultifactorEnrollmentRecord.newID(), user_id: userID, kind: .phone, status: .pending, phone_number: number,
            created_at: now)
        try await storage.transaction { repositories in
            guard try await repositories.users.get(userID) != nil else { throw MultifactorError.userNotFound }
            let existing = try await repositories.multifactor.enrollments(userID: userID).filter { $0.kind == .phone }
            if existing.contains(where: { $0.status == .confirmed }) {
                throw MultifactorError(.alreadyEnrolled, "The user already has a phone enrolled.")
            }
            for pending in existing { _ = try await repositories.multifactor.delete(pending.id) }
            try await repositories.multifactor.insert(enrollment, totpSecret: nil, secretHash: nil)
        }
        do {
            try await sendCode(.enrollment, to: enrollment, messageType: messageType, origin: origin, now: now)
        } catch {
            _ = try? await storage.transaction { try await $0.multifactor.delete(enrollment.id) }
            throw error
        }
        return enrollment
    }

    /// Confirms an SMS enrolment with the code that was sent; the recovery code is issued with it
    /// (see `confirm`). A wrong code counts towards brute-force protection.
    public func confirmPhoneEnrollment(
        userID: String, enrollmentID: String, code: String, recoveryCodeHash: String? = nil, now: EpochMillis = Timestamp.nowMillis()
    ) async throws -> MultifactorConfirmation {
        let enrollment = try await pending(enrollmentID, kind: .phone, of: userID)
        return try await checkingCode(userID: userID, now: now) {
            try await self.checkPhoneCode(code, enrollmentID: enrollment.id, now: now)
            return try await self.confirm(enrollment, recoveryCodeHash: recoveryCodeHash, now: now)
        }
    }

    /// Sends a login code to the user's confirmed phone (action `second-factor-authentication`).
    /// Returns the authenticator the code was sent to.
    @discardableResult
    public func sendPhoneChallenge(
        userID: String, messageType: SendPhoneMessage.MessageType = .sms, origin: SendPhoneMessage.Origin,
        now: EpochMillis = Timestamp.nowMillis()
    ) async throws -> MultifactorEnrollmentRecord {
        let enrollment = try await confirmed(.phone, of: userID, factor: .phone)
        try await sendCode(.secondFactorAuthentication, to: enrollment, messageType: messageType, origin: origin, now: now)
        return enrollment
    }

    /// Checks the code last sent to the user's confirmed phone: right, not expired (5 minutes),
    /// and within 5 guesses of that code; a right code works once. A wrong code counts towards
    /// brute-force protection.
    @discardableResult
    public func verifyPhoneCode(userID: String, code: String, now: EpochMillis = Timestamp.nowMillis()) async throws
        -> MultifactorEnrollmentRecord
    {
        let enrollment = try await confirmed(.phone, of: userID, factor: .phone)
        return try await checkingCode(userID: userID, now: now) {
            try await self.checkPhoneCode(code, enrollmentID: enrollment.id, now: now)
            try await self.storage.transaction { try await $0.multifactor.touch(enrollment.id, at: now) }
            var used = enrollment
            used.last_auth_at = now
            return used
        }
    }

    /// Takes one guess at the authenticator's code (atomically), then compares digests.
    func checkPhoneCode(_ code: String, enrollmentID: String, now: EpochMillis) async throws {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw MultifactorError.invalidCode }
        let hash = SecretComparison.digest(digits)
        let matched = try await storage.transaction { repositories -> Bool in
            guard
                let stored = try await repositories.multifactor.attemptCode(
                    enrollmentID: enrollmentID, maxAttempts: Self.phoneCodeAttempts, now: now),
                SecretComparison.equal(stored.code_hash, hash)
            else { return false }
            return try await repositories.multifactor.consumeCode(enrollmentID: enrollmentID, codeHash: hash)
        }
        guard matched else { throw MultifactorError.invalidCode }
    }

    /// Makes a 6-digit code, stores its digest (replacing any earlier code of the authenticator)
    /// and delivers it: through the tenant's phone provider when one is active (Auth0's unified
    /// phone experience: the custom-phone-provider action, from the outbox), otherwise by the
    /// phone factor's selected provider (the send-phone-message action, in the request). The
    /// recipient is always the authenticator's own number.
    func sendCode(
        _ action: SendPhoneMessage.Action, to enrollment: MultifactorEnrollmentRecord, messageType: SendPhoneMessage.MessageType,
        origin: SendPhoneMessage.Origin, now: EpochMillis
    ) async throws {
        let method = messageType == .voice ? "voice" : "text"
        if let phoneProvider,
            let provider = try await phoneProvider.deliverable(method: method, configurationVersion: origin.configurationVersion)
        {
            try await sendThroughProvider(
                action, to: enrollment, method: method, provider: provider, service: phoneProvider, origin: origin, now: now)
            return
        }
        let settings = try await settings()
        guard settings.phoneProvider == GuardianFactorSettings.phoneMessageHook else {
            throw MultifactorError(
                .providerNotConfigured,
                "SMS codes cannot be sent: the phone factor's provider is '\(settings.phoneProvider)', which this server cannot"
                    + " deliver with. Select 'phone-message-hook' (PUT /api/v2/guardian/factors/phone/selected-provider) and bind"
                    + " an action to the send-phone-message trigger.")
        }
        guard let phoneMessages else {
            throw MultifactorError(.deliveryFailed, "SMS codes cannot be sent: Actions are not running on this server.")
        }
        guard let recipient = enrollment.phone_number,
            let user = try await storage.read({ try await $0.users.get(enrollment.user_id) })
        else { throw MultifactorError.userNotFound }
        try await reserveMessage(userID: enrollment.user_id, now: now)
        let code = Self.newPhoneCode()
        try await storage.transaction {
            try await $0.multifactor.storeCode(
                MultifactorCodeRecord(
                    enrollment_id: enrollment.id, user_id: enrollment.user_id, code_hash: SecretComparison.digest(code),
                    created_at: now, expires_at: now + Self.phoneCodeLifetime))
        }
        let enrollments = try await storage.read { try await $0.multifactor.enrollments(userID: enrollment.user_id) }
        let text =
            action == .enrollment
            ? "\(code) is your verification code for \(issuerName). Please enter this code to verify your enrollment."
            : "\(code) is your verification code for \(issuerName)."
        do {
            _ = try await phoneMessages.run(
                SendPhoneMessage.Context(
                    message: SendPhoneMessage.Message(
                        action: action, code: code, messageType: messageType, recipient: recipient, text: text),
                    user: user, enrollments: enrollments, origin: origin))
        } catch {
            // Not delivered: the code must not stay usable.
            _ = try? await storage.transaction {
                try await $0.multifactor.consumeCode(enrollmentID: enrollment.id, codeHash: SecretComparison.digest(code))
            }
            throw error
        }
    }

    /// The code stored and its message written to the outbox in one transaction; the relay is
    /// woken after the commit, so the action runs within a relay pass of the request.
    func sendThroughProvider(
        _ action: SendPhoneMessage.Action, to enrollment: MultifactorEnrollmentRecord, method: String,
        provider: PhoneProviderRecord, service: PhoneProviderService, origin: SendPhoneMessage.Origin, now: EpochMillis
    ) async throws {
        guard let recipient = enrollment.phone_number else { throw MultifactorError.userNotFound }
        try await reserveMessage(userID: enrollment.user_id, now: now)
        let code = Self.newPhoneCode()
        let expiresAt = now + Self.phoneCodeLifetime
        let text =
            action == .enrollment
            ? "\(code) is your verification code for \(issuerName). Please enter this code to verify your enrollment."
            : "\(code) is your verification code for \(issuerName)."
        let spoken = code.map(String.init).joined(separator: ", ")
        let voice = "Your verification code for \(issuerName) is \(spoken). I repeat: \(spoken)."
        let notification = try service.notification(
            messageType: action == .enrollment ? "otp_enroll" : "otp_verify", method: method, recipient: recipient,
            provider: provider, secret: .init(code: code, as_text: text, as_voice: voice), enrollment: enrollment,
            client: origin.client, request: origin.request, now: now, expiresAt: expiresAt)
        try await storage.transaction { repositories in
            guard try await repositories.users.get(enrollment.user_id) != nil else { throw MultifactorError.userNotFound }
            try await repositories.multifactor.storeCode(
                MultifactorCodeRecord(
                    enrollment_id: enrollment.id, user_id: enrollment.user_id, code_hash: SecretComparison.digest(code),
                    created_at: now, expires_at: expiresAt))
            try await PhoneProviderService.enqueue(notification, in: repositories)
        }
        service.relay.wake()
    }

    /// Six random digits, uniformly (rejection sampling over 20 bits).
    static func newPhoneCode() -> String {
        while true {
            let bytes = RandomIdentifier.bytes(3)
            let value = (Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])) & 0xFFFFF
            if value < 1_000_000 {
                let digits = String(value)
                return String(repeating: "0", count: 6 - digits.count) + digits
            }
        }
    }

    /// `+` then 7 to 15 digits, the first not 0 (ITU-T E.164).
    static func isE164(_ number: String) -> Bool {
        guard number.first == "+" else { return false }
        let digits = number.dropFirst()
        return (7...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber } && digits.first != "0"
    }
}
