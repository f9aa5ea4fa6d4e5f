# Shared by the qemu VM checks (tests/hw/run.sh, tests/vm-systemd/run.sh):
# boot a kernel and an initramfs under TCG, show the guest's test lines as
# they come, then count them. POSIX sh; sourced.

# vm_boot TIMEOUT MEM_MB CPUS KERNEL INITRD CMDLINE LOG
vm_boot() {
	# TCG explicitly: KVM on these hosts cannot boot a stock kernel.
	timeout -k 5 "$1" qemu-system-x86_64 -accel tcg -M pc -cpu max -m "$2" -smp "$3" \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none \
		-kernel "$4" -initrd "$5" -append "$6" \
		</dev/null 2>&1 | sed -u 's/\r$//' | tee "$7" |
		grep --line-buffered -E '^(ok|not ok|#) ' || true
}

# vm_result LOG MARKER TIMEOUT TAIL_LINES: sets vm_passed and vm_failed from
# the console; one failure more when the guest never printed MARKER-BEGIN
# (did not reach its test) or MARKER-END (did not finish in time).
vm_result() {
	vm_passed=$(grep -c '^ok - ' "$1" || true)
	vm_failed=$(grep -c '^not ok - ' "$1" || true)
	if ! grep -q "$2-END" "$1"; then
		if ! grep -q "$2-BEGIN" "$1"; then
			echo "not ok - the VM did not reach the test (last console lines below)"
		else
			echo "not ok - the VM did not finish the test within ${3}s (last console lines below)"
		fi
		tail -n "$4" "$1" | sed 's/^/#   /'
		vm_failed=$((vm_failed + 1))
	fi
}
