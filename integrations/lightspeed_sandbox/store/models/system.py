"""The sandbox's own machinery: OAuth codes and tokens, rate-limit buckets, the request log, faults,
and the clock's offset."""

from django.db import models

# --- OAuth ------------------------------------------------------------------------------------


class AuthCode(models.Model):
    code = models.CharField(max_length=100, unique=True)
    clientID = models.CharField(max_length=200)
    accountID = models.IntegerField()
    employeeID = models.IntegerField()
    scope = models.CharField(max_length=500)
    redirectUri = models.CharField(max_length=500, default="")
    codeChallenge = models.CharField(max_length=200, default="")
    codeChallengeMethod = models.CharField(max_length=20, default="")
    expiresAt = models.FloatField()  # sandbox-clock epoch seconds
    usedAt = models.FloatField(null=True)
    legacy = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.code


class RefreshToken(models.Model):
    token = models.CharField(max_length=200, unique=True)
    clientID = models.CharField(max_length=200)
    accountID = models.IntegerField()
    employeeID = models.IntegerField(default=0)
    scope = models.CharField(max_length=500)
    createdAt = models.FloatField()
    expiresAt = models.FloatField()
    revokedAt = models.FloatField(null=True)
    legacy = models.BooleanField(default=False)
    authCode = models.CharField(max_length=100, default="")

    def __str__(self) -> str:
        return self.token[:8]


class AccessToken(models.Model):
    token = models.TextField(unique=True)
    clientID = models.CharField(max_length=200)
    accountID = models.IntegerField()
    employeeID = models.IntegerField(default=0)
    scope = models.CharField(max_length=500)
    createdAt = models.FloatField(default=0.0)
    expiresAt = models.FloatField()
    revokedAt = models.FloatField(null=True)
    usedAt = models.FloatField(null=True)
    legacy = models.BooleanField(default=False)
    # The refresh token issued together with this access token.
    refreshToken = models.ForeignKey(RefreshToken, null=True, on_delete=models.CASCADE, related_name="+")
    # The refresh token spent to obtain it: retired when this access token is first used.
    spentRefreshToken = models.ForeignKey(
        RefreshToken, null=True, on_delete=models.CASCADE, related_name="successors"
    )
    authCode = models.CharField(max_length=100, default="")

    def __str__(self) -> str:
        return self.token[:8]


# --- Rate limiting, faults, log, clock ---------------------------------------------------------


class Bucket(models.Model):
    accountID = models.IntegerField()
    clientID = models.CharField(max_length=200)
    level = models.FloatField(default=0.0)
    updatedAt = models.FloatField(default=0.0)  # sandbox-clock epoch seconds
    burstWindow = models.IntegerField(default=0)
    burstCount = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["accountID", "clientID"], name="sandbox_bucket_unique")
        ]

    def __str__(self) -> str:
        return f"{self.accountID}/{self.clientID}: {self.level}"


class RequestLog(models.Model):
    time = models.FloatField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.TextField(default="")
    status = models.IntegerField()
    cost = models.FloatField(default=0.0)
    level = models.FloatField(null=True)
    accountID = models.IntegerField(null=True)
    clientID = models.CharField(max_length=200, default="")
    rateLimitType = models.CharField(max_length=50, default="")
    fault = models.CharField(max_length=50, default="")
    latencyMs = models.FloatField(default=0.0)  # the delay the answer waited (latency.py)
    body = models.TextField(default="", blank=True)  # an API write's JSON body, as sent

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class Fault(models.Model):
    method = models.CharField(max_length=10, default="*")
    pathPattern = models.CharField(max_length=500, default="")
    kind = models.CharField(max_length=20)  # status, delay, drop, malformed, truncated
    status = models.IntegerField(default=500)
    body = models.TextField(default="")
    contentType = models.CharField(max_length=100, default="application/json")
    delay = models.FloatField(default=0.0)
    remaining = models.IntegerField(null=True)  # None: until removed
    probability = models.FloatField(default=1.0)
    headers = models.JSONField(default=dict)
    hits = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.pathPattern}"


class SandboxState(models.Model):
    clockOffset = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"clock +{self.clockOffset}s"
