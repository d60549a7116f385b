from rest_framework.routers import SimpleRouter

from .views import PipelineViewSet

router = SimpleRouter(use_regex_path=False)
router.register("pipelines", PipelineViewSet, basename="pipeline")

urlpatterns = router.urls
