from rest_framework.routers import SimpleRouter

from .views import PipelineViewSet, RunViewSet

router = SimpleRouter(use_regex_path=False)
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("runs", RunViewSet, basename="run")

urlpatterns = router.urls
