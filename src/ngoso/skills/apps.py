from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "ngoso.skills"
    label = "skills"
    verbose_name = "Kỹ năng số / Digital skills"
