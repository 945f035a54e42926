import time, pytest
from tests.storage.conftest import oficio_created
pytestmark = pytest.mark.stack
async def test_bench(parts):
    evs=[oficio_created() for _ in range(1000)]
    t=time.monotonic()
    for e in evs[:500]:
        await parts.audit.append(e)
    t1=time.monotonic()-t
    t=time.monotonic()
    for e in evs[500:]:
        await parts.audit.append(e)
    t2=time.monotonic()-t
    t=time.monotonic(); r=await parts.audit.verify(); t3=time.monotonic()-t
    print(f"\nfirst 500: {t1:.2f}s, next 500: {t2:.2f}s, verify 1000: {t3:.2f}s", r.intact)
