"""Settings from the environment or a `.env` file (names and defaults as in the contract)."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.anonymity import secret_bytes
from domain.compliance import Thresholds
from domain.coverage import CoverageSettings
from domain.evidence import EvidenceSettings
from domain.grading import GradeSettings
from domain.lifecycle import LifecycleSettings
from domain.reminders import ReminderSettings
from domain.subsidy import SubsidySettings
from storage.filestore import S3Config


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    telegram_api_url: str = "https://api.telegram.org"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    redis_url: str = ""
    tip_secret: SecretStr | None = None
    timezone: str = "Asia/Shanghai"
    default_locale: str = Field(default="zh", pattern="^(zh|en)$")
    log_level: str = "INFO"
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    reminder_schedule: str = "0 9 * * *"
    digest_schedule: str = "0 8 * * mon"
    web_listen: str = ""
    public_base_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 465 with SMTP_TLS, else 25
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = ""
    smtp_tls: bool = False
    wecom_api_url: str = "https://qyapi.weixin.qq.com"
    dingtalk_api_url: str = "https://oapi.dingtalk.com"

    # Domain defaults every county tunes (domain.md "default" numbers).
    invite_days: int = Field(default=7, ge=1)
    indicator_catalogue: str = ""
    risk_red_share: float = Field(default=0.5, ge=0, le=1)
    risk_orange_share: float = Field(default=0.7, ge=0, le=1)
    risk_yellow_share: float = Field(default=0.9, ge=0, le=1)
    risk_red_overdue: int = Field(default=3, ge=1)
    indicator_expiring_days: int = Field(default=30, ge=0)
    hazard_deadline_general_days: int = Field(default=30, ge=1)
    hazard_deadline_major_days: int = Field(default=7, ge=1)
    hazard_deadline_general_max_days: int = Field(default=90, ge=1)
    hazard_deadline_major_max_days: int = Field(default=180, ge=1)
    report_due_days: int = Field(default=30, ge=1)
    rating_window_days: int = Field(default=30, ge=1)
    contract_grace_days: int = Field(default=90, ge=0)
    reminder_before_days: int = Field(default=3, ge=0)
    reminder_repeat_days: int = Field(default=3, ge=1)
    escalate_after_days: int = Field(default=30, ge=1)
    report_warn_days: int = Field(default=7, ge=0)
    report_grace_days: int = Field(default=15, ge=0)
    grade_a: float = 90
    grade_b: float = 75
    grade_c: float = 60
    grade_min_ratings: int = Field(default=5, ge=0)
    grade_tip_penalty: float = Field(default=10, ge=0)
    subsidy_comprehensive: int = Field(default=200, ge=0)
    subsidy_monthly: int = Field(default=360, ge=0)
    subsidy_threshold: float = Field(default=0.30, ge=0, le=1)
    subsidy_step: float = Field(default=0.10, gt=0, le=1)
    subsidy_cut: float = Field(default=0.10, ge=0, le=1)
    subsidy_sizes: Annotated[frozenset[str], NoDecode] = frozenset({"small"})  # seed 000: 小微企业
    subsidy_month_share: float = Field(default=1.0, gt=0, le=1)
    subsidy_prorate: bool = False
    report_visit_kinds: Annotated[frozenset[str], NoDecode] = frozenset({"comprehensive", "monthly"})
    grades_schedule: str = "0 6 1 1,7 *"
    coverage_target: float = Field(default=0.5, ge=0, le=1)  # seed 001: at least 50% covered
    coverage_new_target: float = Field(default=0.10, ge=0, le=1)  # seed 001: 10% new a year
    coverage_key_target: float = Field(default=1.0, ge=0, le=1)  # seed 001: key industries, all
    # seed 001's key high-risk industries, as enterprise tags
    coverage_key_tags: Annotated[frozenset[str], NoDecode] = frozenset(
        {"危化品", "粉尘涉爆", "有限空间", "涂装", "金属冶炼", "涉氨", "矿山"}
    )
    # industries that are not industrial (工业): left out of coverage's denominator
    coverage_non_industrial: Annotated[frozenset[str], NoDecode] = frozenset(
        {"仓储物流", "批发零售", "住宿餐饮", "商贸", "服务业"}
    )
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_in_flight: int = Field(default=16, ge=1, le=100)
    outbox_settle_batch: int = Field(default=32, ge=1)
    tip_daily_limit: int = Field(default=5, ge=1)
    follow_miss_limit: int = Field(default=5, ge=1)
    follow_miss_window: int = Field(default=600, ge=1)  # seconds
    dialog_ttl_minutes: int = Field(default=30, ge=1)  # an idle dialog and its draft are forgotten
    dialog_memory_limit: int = Field(default=10000, ge=1)  # dialogs held at once without Redis
    channel_rate_per_minute: int = Field(default=20, ge=1)  # both robots' documented limit
    channel_throttle_minutes: int = Field(default=10, ge=1)  # a robot over the limit is blocked this long
    web_form_minutes: int = Field(default=120, ge=1)  # how long a web form may be filled in
    import_max_mb: int = Field(default=20, ge=1)
    default_jurisdiction: str = Field(default="", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9})?$")
    tip_followup_limit: int = Field(default=20, ge=1)  # additions a tipster may make to one tip
    tip_followup_chars: int = Field(default=2000, ge=10)
    rating_comment_chars: int = Field(default=500, ge=10)
    extension_reason_chars: int = Field(default=500, ge=10)
    image_max_megapixels: float = Field(default=40, gt=0)
    file_store: str = Field(default="local", pattern="^(local|s3)$")
    file_store_dir: str = "data/files"
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    evidence_max_files: int = Field(default=5, ge=1, le=10)
    evidence_max_file_mb: float = Field(default=20, gt=0, le=20)  # Bot API downloads stop at 20 MB
    review_remind_days: int = Field(default=3, ge=1)
    indicator_final_days: int = Field(default=7, ge=0)
    veto_government_only: bool = False
    enforcement_months: int = Field(default=12, ge=1)
    self_check_indicator: str = "HAZARD"  # seed 000's 自身开展隐患排查, for the enforcement list
    training_indicator: str = "TRAIN"
    drill_indicator: str = "DRILL"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("tip_secret")
    @classmethod
    def _random_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret_bytes(value.get_secret_value())
        return value

    @field_validator("smtp_port", mode="before")
    @classmethod
    def _empty_port(cls, value: object) -> object:
        return 0 if value == "" else value

    @field_validator(
        "subsidy_sizes", "report_visit_kinds", "coverage_key_tags", "coverage_non_industrial", mode="before"
    )
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level")
    @classmethod
    def _level_name(cls, value: str) -> str:
        value = value.upper()
        if value not in {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}:
            raise ValueError("LOG_LEVEL must be a standard logging level name")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    def thresholds(self) -> Thresholds:
        return Thresholds(
            self.risk_red_share,
            self.risk_orange_share,
            self.risk_yellow_share,
            self.risk_red_overdue,
            self.indicator_expiring_days,
            self.veto_government_only,
        )

    def evidence(self) -> EvidenceSettings:
        return EvidenceSettings(
            self.evidence_max_files, int(self.evidence_max_file_mb * 1024 * 1024), self.review_remind_days
        )

    def lifecycle(self) -> LifecycleSettings:
        return LifecycleSettings(
            self.hazard_deadline_general_days,
            self.hazard_deadline_major_days,
            self.report_due_days,
            self.rating_window_days,
            self.contract_grace_days,
            self.hazard_deadline_general_max_days,
            self.hazard_deadline_major_max_days,
            self.report_visit_kinds,
        )

    def reminders(self) -> ReminderSettings:
        return ReminderSettings(
            self.reminder_before_days,
            self.reminder_repeat_days,
            self.escalate_after_days,
            self.report_due_days,
            self.report_warn_days,
            self.report_grace_days,
            self.indicator_expiring_days,
            self.indicator_final_days,
            self.review_remind_days,
            self.report_visit_kinds,
        )

    def grades(self) -> GradeSettings:
        return GradeSettings(
            self.grade_a,
            self.grade_b,
            self.grade_c,
            self.grade_min_ratings,
            self.grade_tip_penalty,
            self.report_visit_kinds,
        )

    def subsidy(self) -> SubsidySettings:
        return SubsidySettings(
            self.subsidy_comprehensive,
            self.subsidy_monthly,
            self.subsidy_threshold,
            self.subsidy_step,
            self.subsidy_cut,
            self.subsidy_sizes,
            self.subsidy_month_share,
            self.subsidy_prorate,
        )

    def coverage(self) -> CoverageSettings:
        return CoverageSettings(
            self.coverage_target,
            self.coverage_new_target,
            self.coverage_key_target,
            self.coverage_key_tags,
            self.coverage_non_industrial,
        )

    @model_validator(mode="after")
    def _s3_complete(self) -> Settings:
        if self.file_store == "s3":
            missing = [
                name.upper()
                for name in ("s3_endpoint_url", "s3_bucket", "s3_access_key_id", "s3_secret_access_key")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"FILE_STORE=s3 needs {', '.join(missing)}")
        return self

    def s3(self) -> S3Config:
        secret = self.s3_secret_access_key
        return S3Config(
            self.s3_endpoint_url,
            self.s3_bucket,
            self.s3_access_key_id,
            secret.get_secret_value() if secret else "",
            self.s3_region,
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def webhook_host_port(self) -> tuple[str, int]:
        return _host_port(self.webhook_listen)

    @property
    def web_host_port(self) -> tuple[str, int]:
        return _host_port(self.web_listen)

    def public_link(self, path: str) -> str | None:
        """An absolute address on the public site, or None when PUBLIC_BASE_URL is unset."""
        return self.public_base_url.rstrip("/") + path if self.public_base_url else None


def _host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host or "0.0.0.0", int(port)
