"""CloudFormation routes served by our response class (moto's own URLs otherwise)."""

from __future__ import annotations

from moto.cloudformation.urls import url_bases

from messaging.localcloud.cloudformation.responses import LocalCloudFormationResponse

__all__ = ["url_bases", "url_paths"]

url_paths = {
    "{0}/$": LocalCloudFormationResponse.dispatch,
    "{0}/cloudformation_(?P<region>[^/]+)/cfnresponse$": LocalCloudFormationResponse.cfnresponse,
}
