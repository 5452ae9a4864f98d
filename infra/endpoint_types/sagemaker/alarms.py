"""CloudWatch alarms the SageMaker type's grants name."""

from __future__ import annotations

#: The alarms Application Auto Scaling makes for a variant's target tracking policy
#: (``TargetTracking-endpoint/<name>/variant/<variant>-AlarmHigh-<uuid>``, ``...-AlarmLow-...``).
TRACKING_ALARMS = "TargetTracking-endpoint/*"
