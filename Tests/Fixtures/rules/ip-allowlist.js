function ipAndCountryCheck(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  const allowedIps = (configuration.ALLOWED_IPS || '').split(',').filter(Boolean);
  const blockedCountries = (configuration.BLOCKED_COUNTRIES || '').split(',').filter(Boolean);
  const country = context.request.geoip && context.request.geoip.country_code;
  if (country && blockedCountries.indexOf(country) !== -1) {
    return callback(new UnauthorizedError('Logins from ' + context.request.geoip.country_name + ' are not allowed.'));
  }
  if (allowedIps.length > 0 && allowedIps.indexOf(context.request.ip) === -1) {
    return callback(new UnauthorizedError('Access denied from IP address ' + context.request.ip));
  }
  context.idToken['https://gatehouse.example/country'] = country || 'unknown';
  callback(null, user, context);
}
