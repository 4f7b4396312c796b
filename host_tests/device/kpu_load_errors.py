# Load errors give MaixPy's ValueError and leave the board working.
import KPU as kpu

for addr in (0x100000, 0xD00000):
    try:
        kpu.load(addr)
        print('loaded?')
    except ValueError as e:
        print('ValueError', str(e)[:28])
try:
    kpu.load(0)
except ValueError as e:
    print('ValueError', str(e).strip())
task = kpu.load(0x300000)
print(task.model_addr(), task.model_size())
print(kpu.deinit(task))
print(sum(range(10)))
